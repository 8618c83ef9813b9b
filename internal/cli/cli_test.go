package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
)

// testProgram has a command with flags, a two-word group and a command
// that fails in each of the ways a command can.
func testProgram(got *[]string) *Program {
	greet := &Command{
		Name: "greet", Args: "NAME...", Summary: "say hello", Help: "Greets each NAME.",
		Setup: func(fs *flag.FlagSet) Run {
			loud := fs.Bool("loud", false, "shout")
			times := fs.Int("times", 1, "say it `n` times")
			return func(env *Env, args []string) error {
				*got = append([]string{fmt.Sprintf("loud=%v times=%d", *loud, *times)}, args...)
				return nil
			}
		},
	}
	fail := &Command{
		Name: "fail", Args: "HOW", Summary: "fail in the way asked",
		Setup: func(fs *flag.FlagSet) Run {
			return func(env *Env, args []string) error {
				if err := WantArgs(args, 1, "one way to fail"); err != nil {
					return err
				}
				base := errors.New("disk full")
				switch args[0] {
				case "plain":
					return fmt.Errorf("write x: %w", base)
				case "hint":
					return fmt.Errorf("open store: %w", Hint(base, "free some space"))
				case "code":
					return WithCode(7, base)
				case "silent":
					return Exit(3)
				case "usage":
					return Usagef("bad %s", "input")
				case "multiline":
					return errors.New("first\n  second")
				}
				return nil
			}
		},
	}
	sub := func(name string) *Command {
		return &Command{Name: "item " + name, Summary: name + " an item", Setup: func(*flag.FlagSet) Run {
			return func(env *Env, args []string) error { *got = []string{name}; return nil }
		}}
	}
	return &Program{
		Name: "prog", Summary: "a test program",
		Commands:  []*Command{greet, fail, sub("add"), sub("remove")},
		Groups:    map[string]string{"item": "action"},
		Footer:    "Exit status: 0 or 1.",
		ExitError: 1, ExitUsage: 2,
	}
}

func runProg(p *Program, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := p.Main(args, &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestProgram(t *testing.T) {
	var got []string
	p := testProgram(&got)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring; "" wants empty
		stderr     string // exact
		wantCalled []string
	}{
		{"flags before and after arguments", []string{"greet", "--loud", "ana", "--times", "2", "binh"}, 0, "", "", []string{"loud=true times=2", "ana", "binh"}},
		{"-- ends the flags", []string{"greet", "--", "--loud"}, 0, "", "", []string{"loud=false times=1", "--loud"}},
		{"two-word command", []string{"item", "remove"}, 0, "", "", []string{"remove"}},
		{"plain error", []string{"fail", "plain"}, 1, "", "prog: error: write x: disk full\n", nil},
		{"hint inside a wrapped error", []string{"fail", "hint"}, 1, "", "prog: error: open store: disk full\nprog: hint: free some space\n", nil},
		{"error with its own code", []string{"fail", "code"}, 7, "", "prog: error: disk full\n", nil},
		{"silent exit", []string{"fail", "silent"}, 3, "", "", nil},
		{"usage error from the command", []string{"fail", "usage"}, 2, "", "prog: error: bad input\nprog: hint: run prog fail --help\n", nil},
		{"wrong number of arguments", []string{"fail"}, 2, "", "prog: error: want one way to fail, got 0 argument(s)\nprog: hint: run prog fail --help\n", nil},
		{"one line", []string{"fail", "multiline"}, 1, "", "prog: error: first second\n", nil},
		{"unknown flag", []string{"greet", "--bogus"}, 2, "", "prog: error: flag provided but not defined: -bogus\nprog: hint: run prog greet --help\n", nil},
		{"no command", nil, 2, "", "prog: error: no command given\nprog: hint: run prog --help for the list of commands\n", nil},
		{"unknown command", []string{"frob"}, 2, "", "prog: error: unknown command \"frob\"\nprog: hint: run prog --help for the list of commands\n", nil},
		{"group without its word", []string{"item"}, 2, "", "prog: error: item: give the action: add or remove\nprog: hint: run prog --help\n", nil},
		{"group with an unknown word", []string{"item", "paint"}, 2, "", "prog: error: item: unknown action \"paint\" (want add or remove)\nprog: hint: run prog --help\n", nil},
		{"program help", []string{"--help"}, 0, "  item add     add an item\n", "", nil},
		{"group help", []string{"item", "--help"}, 0, "  item remove  remove an item\n", "", nil},
		{"help command", []string{"help", "greet"}, 0, "usage: prog greet [flags] NAME...\n", "", nil},
		{"command help", []string{"greet", "-h"}, 0, "  --times N  ", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			code, out, errOut := runProg(p, tt.args...)
			if code != tt.code || errOut != tt.stderr {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, errOut, tt.code, tt.stderr)
			}
			if tt.stdout == "" && out != "" || !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout %q, want it to hold %q", out, tt.stdout)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantCalled) {
				t.Errorf("ran with %q, want %q", got, tt.wantCalled)
			}
		})
	}
}

func TestDefaultCommand(t *testing.T) {
	var got []string
	p := testProgram(&got)
	p.Default = p.Commands[0]
	p.Commands = p.Commands[1:]
	code, _, _ := runProg(p, "--loud", "ana")
	if code != 0 || fmt.Sprint(got) != "[loud=true times=1 ana]" {
		t.Fatalf("default command: exit %d, ran with %q", code, got)
	}
	code, _, _ = runProg(p, "fail", "silent")
	if code != 3 {
		t.Fatalf("a named command beside the default: exit %d, want 3", code)
	}
	_, out, _ := runProg(p, "--help")
	if !strings.Contains(out, "usage: prog [flags] NAME...\n") || !strings.Contains(out, "usage: prog COMMAND") {
		t.Fatalf("usage lacks the default command's line or the commands:\n%s", out)
	}
}

func TestCommandUsage(t *testing.T) {
	p := &Program{Name: "prog"}
	c := &Command{Name: "copy", Args: "SRC DST", Help: "Copies SRC to DST.", Setup: func(fs *flag.FlagSet) Run {
		fs.String("mode", "0644", "permissions of the new `file`")
		fs.Bool("force", false, "overwrite DST")
		fs.Int("retries", -1, "attempts (default: as many as it takes)")
		fs.String("a-very-long-flag-name", "", "help on the next line")
		fs.String("note", "", "free text")
		return nil
	}}
	want := `usage: prog copy [flags] SRC DST

Copies SRC to DST.

flags:
  --a-very-long-flag-name TEXT
                          help on the next line
  --force                 overwrite DST
  --mode FILE             permissions of the new file (default 0644)
  --note TEXT             free text
  --retries N             attempts (default: as many as it takes)
`
	if got := p.CommandUsage(c); got != want {
		t.Fatalf("usage:\n%s\nwant:\n%s", got, want)
	}
}

func TestRequired(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("dir", "", "")
	fs.String("out", "", "")
	if err := fs.Parse([]string{"--dir", "d"}); err != nil {
		t.Fatal(err)
	}
	var ue *UsageError
	if err := Required(fs, "dir", "out"); !errors.As(err, &ue) || ue.Msg != "--out is required" {
		t.Fatalf("Required: %v", err)
	}
	if err := Required(fs, "dir"); err != nil {
		t.Fatalf("Required(dir): %v", err)
	}
}
