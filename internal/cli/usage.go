package cli

import (
	"flag"
	"fmt"
	"strings"
)

// flagColumn is where flag help starts in a command's usage.
const flagColumn = 26

// Usage is the program's usage: its summary, the default command's usage
// with its flags, the commands with their summaries, and the footer.
func (p *Program) Usage() string {
	var b strings.Builder
	if p.Summary != "" {
		fmt.Fprintf(&b, "%s: %s\n\n", p.Name, p.Summary)
	}
	if p.Default != nil {
		b.WriteString(p.CommandUsage(p.Default) + "\n")
	}
	if len(p.Commands) > 0 {
		fmt.Fprintf(&b, "usage: %s COMMAND [flags] [args]\n\ncommands:\n", p.Name)
		width := 0
		for _, c := range p.Commands {
			width = max(width, len(c.Name))
		}
		for _, c := range p.Commands {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, c.Name, c.Summary)
		}
		fmt.Fprintf(&b, "\nRun '%s COMMAND --help' for a command's flags.\n", p.Name)
	}
	if p.Footer != "" {
		b.WriteString("\n" + strings.TrimLeft(p.Footer, "\n"))
		if !strings.HasSuffix(p.Footer, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func (p *Program) usageLine(c *Command) string {
	line := p.Name
	if c != p.Default {
		line += " " + c.Name
	}
	line += " [flags]"
	if c.Args != "" {
		line += " " + c.Args
	}
	return line
}

// CommandUsage is a command's usage: the usage line, its help, and each
// flag with its value's name, help and default, generated from the
// command's FlagSet.
func (p *Program) CommandUsage(c *Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s\n", p.usageLine(c))
	if c.Help != "" {
		b.WriteString("\n" + strings.Trim(c.Help, "\n") + "\n")
	}
	fs := p.flagSet(c)
	c.Setup(fs)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			b.WriteString("\nflags:\n")
			first = false
		}
		b.WriteString(flagLine(f))
	})
	return b.String()
}

// flagLine formats one flag: "  --name VALUE   help (default X)".
func flagLine(f *flag.Flag) string {
	value, help := flag.UnquoteUsage(f)
	switch value {
	case "string": // no `name` in the help: a type's name
		value = "TEXT"
	case "int", "uint", "int64", "uint64":
		value = "N"
	default:
		value = strings.ToUpper(value)
	}
	head := "  --" + f.Name
	if value != "" {
		head += " " + value
	}
	if !zeroDefault(f) && !strings.Contains(help, "(default") {
		help += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	if len(head) >= flagColumn-1 {
		return head + "\n" + strings.Repeat(" ", flagColumn) + help + "\n"
	}
	return fmt.Sprintf("%-*s%s\n", flagColumn, head, help)
}

func zeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "[]", "0s":
		return true
	}
	return false
}
