// Package cli gives Lienthong's command-line tools one shape: a table of
// subcommands, usage generated from each subcommand's flag.FlagSet and its
// help strings, flags accepted before or after the arguments, and errors
// printed as
//
//	lienthong-X: error: what went wrong
//	lienthong-X: hint: what to do about it
//
// (the hint only when the error carries one, see Hint) with the exit status
// the tool documents: the error's own (see Exit, WithCode), else
// Program.ExitUsage for a wrong command line and Program.ExitError for any
// other error. "--help", "-h" or "help" print usage on stdout and exit 0.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Env is what a command reads and writes besides its arguments.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Ctx, when set, bounds the commands that watch a context (a test
	// ends a long-running one with it); nil means context.Background.
	Ctx context.Context
}

// Context returns the command's context: Ctx, or context.Background.
func (e *Env) Context() context.Context {
	if e.Ctx == nil {
		return context.Background()
	}
	return e.Ctx
}

// Run runs a command with its positional arguments, after its flags are
// parsed.
type Run func(env *Env, args []string) error

// Command is one subcommand.
type Command struct {
	// Name is the word (or words, "agency import") that select it.
	Name string
	// Args names the positional arguments in the usage line, e.g.
	// "IN.pdf OUT.pdf".
	Args string
	// Summary is the command's line in the program's list.
	Summary string
	// Help is printed under the usage line: what the command does.
	Help string
	// Setup defines the command's flags on fs, each with a help string
	// (a word in `backquotes` names the flag's value), and returns what
	// runs the command.
	Setup func(fs *flag.FlagSet) Run
}

// Program is a command-line tool: a name and its commands.
type Program struct {
	Name     string // "lienthong-clerk"
	Summary  string // one line: what the tool does
	Commands []*Command
	// Default, when set, runs when the first argument names no command
	// (lienthong-verify checks a PDF); it is not listed among Commands.
	Default *Command
	// Groups names what the second word of a multi-word command is, per
	// first word: {"issue": "kind"} makes "issue robot" an unknown kind.
	Groups map[string]string
	// Footer ends the program's usage: exit statuses, environment.
	Footer string
	// ExitError and ExitUsage are the exit statuses of an error and of a
	// wrong command line when the error carries none.
	ExitError, ExitUsage int
}

// Error is an error for the user, with a hint and an exit status.
type Error struct {
	Err  error
	Hint string // one line saying what to do; may be empty
	Code int    // exit status; 0 means the program's default
}

func (e *Error) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Hint returns err with a hint line for the user: what to do about it.
func Hint(err error, hint string) error { return &Error{Err: err, Hint: hint} }

// WithCode returns err with the exit status code.
func WithCode(code int, err error) error { return &Error{Err: err, Code: code} }

// Exit ends the command with status code and prints nothing: the command
// has said what it had to (a verification report, say).
func Exit(code int) error { return &Error{Code: code} }

// UsageError is a wrong command line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError: the program prints it with a hint to the
// command's --help and exits with ExitUsage.
func Usagef(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...)}
}

// Main runs the program on args and returns the exit status.
func (p *Program) Main(args []string, env *Env) int {
	cmd, rest, err := p.find(args)
	if err == nil {
		err = p.run(cmd, rest, env)
	}
	var h *helpText
	if errors.As(err, &h) {
		fmt.Fprint(env.Stdout, h.text)
		return 0
	}
	return p.report(err, cmd, env.Stderr)
}

// find picks the command args name, and returns it with the arguments
// after its name; a *helpText error when args ask for help.
func (p *Program) find(args []string) (*Command, []string, error) {
	if len(args) == 0 {
		if p.Default != nil {
			return p.Default, args, nil
		}
		return nil, nil, Hint(&UsageError{"no command given"}, "run "+p.Name+" --help for the list of commands")
	}
	if isHelp(args[0]) {
		if len(args) > 1 {
			if cmd, _ := p.lookup(args[1:]); cmd != nil {
				return nil, nil, &helpText{p.CommandUsage(cmd)}
			}
		}
		return nil, nil, &helpText{p.Usage()}
	}
	if cmd, n := p.lookup(args); cmd != nil {
		return cmd, args[n:], nil
	}
	if noun, ok := p.Groups[args[0]]; ok {
		subs := p.subcommands(args[0])
		if len(args) > 1 && isHelp(args[1]) {
			return nil, nil, &helpText{p.Usage()}
		}
		if len(args) == 1 || strings.HasPrefix(args[1], "-") {
			return nil, nil, Usagef("%s: give the %s: %s", args[0], noun, orList(subs))
		}
		return nil, nil, Usagef("%s: unknown %s %q (want %s)", args[0], noun, args[1], orList(subs))
	}
	if p.Default != nil {
		return p.Default, args, nil
	}
	return nil, nil, Hint(Usagef("unknown command %q", args[0]), "run "+p.Name+" --help for the list of commands")
}

func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// lookup finds the command whose name is the longest prefix of args and
// returns it with the number of words its name takes.
func (p *Program) lookup(args []string) (*Command, int) {
	var best *Command
	n := 0
	for _, c := range p.Commands {
		words := strings.Fields(c.Name)
		if len(words) > len(args) || len(words) <= n {
			continue
		}
		match := true
		for i, w := range words {
			match = match && args[i] == w
		}
		if match {
			best, n = c, len(words)
		}
	}
	return best, n
}

func (p *Program) subcommands(group string) []string {
	var subs []string
	for _, c := range p.Commands {
		if first, rest, ok := strings.Cut(c.Name, " "); ok && first == group {
			subs = append(subs, rest)
		}
	}
	return subs
}

func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func (p *Program) run(cmd *Command, args []string, env *Env) error {
	fs := p.flagSet(cmd)
	run := cmd.Setup(fs)
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return &helpText{p.CommandUsage(cmd)}
	}
	if err != nil {
		return &UsageError{Msg: err.Error()}
	}
	return run(env, pos)
}

func (p *Program) flagSet(cmd *Command) *flag.FlagSet {
	name := p.Name
	if cmd != p.Default {
		name += " " + cmd.Name
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses flags wherever they stand among the arguments, up to a
// "--", and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// report prints err the program's way and returns the exit status.
func (p *Program) report(err error, cmd *Command, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	code := p.ExitError
	var ue *UsageError
	isUsage := errors.As(err, &ue)
	if isUsage {
		code = p.ExitUsage
	}
	// The outermost exit status and hint win.
	hint, coded := "", false
	for e := err; e != nil; {
		var ce *Error
		if !errors.As(e, &ce) {
			break
		}
		if ce.Code != 0 && !coded {
			code, coded = ce.Code, true
		}
		if hint == "" {
			hint = ce.Hint
		}
		e = ce.Err
	}
	if isUsage && hint == "" {
		hint = "run " + p.Name + " --help"
		if cmd != nil && cmd != p.Default {
			hint = "run " + p.Name + " " + cmd.Name + " --help"
		}
	}
	if msg := oneLine(err.Error()); msg != "" {
		fmt.Fprintf(stderr, "%s: error: %s\n", p.Name, msg)
		if hint != "" {
			fmt.Fprintf(stderr, "%s: hint: %s\n", p.Name, hint)
		}
	}
	return code
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// helpText is usage for stdout: Main prints it and exits 0.
type helpText struct{ text string }

func (h *helpText) Error() string { return "help requested" }

// Required returns a usage error naming the first of the flags that was
// not given on the command line.
func Required(fs *flag.FlagSet, names ...string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] {
			return Usagef("--%s is required", n)
		}
	}
	return nil
}

// WantArgs returns a usage error unless there are exactly n arguments;
// what names them ("the certificate file to verify").
func WantArgs(args []string, n int, what string) error {
	switch {
	case len(args) == n:
		return nil
	case n == 0:
		return Usagef("unexpected argument %q", args[0])
	}
	return Usagef("want %s, got %d argument(s)", what, len(args))
}
