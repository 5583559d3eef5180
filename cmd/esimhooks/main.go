// Command esimhooks is a mock eSIM provider (serve), a signed-webhook sender
// (send, sign, verify), and a conformance suite for partners' webhook
// receivers (check, play). Run "esimhooks help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/esimhooks/esimhooks/providers"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, env *env, args []string) error) {
	commands[name] = command{summary, run}
}

// env is what a command may touch; tests swap it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// exitError carries an exit code: 1 a failed check or delivery, 2 bad usage
// or configuration.
type exitError struct {
	code int
	msg  string
	// help adds "run 'esimhooks CMD --help'" under the message: the error
	// is about the command line (a flag, an argument), so its help helps.
	help bool
}

func (e *exitError) Error() string { return e.msg }

// usageErr is a usage or configuration error, exit 2. A message that
// starts with a flag ("--to is required", "--seed \"x\": …") is about the
// command line and gets the help hint.
func usageErr(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &exitError{code: 2, msg: msg, help: strings.HasPrefix(msg, "--")}
}

func failErr(format string, args ...any) error {
	return &exitError{code: 1, msg: fmt.Sprintf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{os.Stdin, os.Stdout, os.Stderr, os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code: 0 success, 1 a
// failed check or delivery, 2 bad usage or configuration. Errors are one
// line on stderr, "esimhooks CMD: message", without the package prefixes
// of the libraries underneath (userMessage); a command-line error adds a
// second line, "run 'esimhooks CMD --help' for its flags".
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if _, ok := visible(args[1]); !ok {
				fmt.Fprintf(e.stderr, "esimhooks help: unknown command %q (valid: %s)%s\n", args[1], strings.Join(commandNames(), ", "), suggestCommand(args[1]))
				return 2
			}
			return run(ctx, e, []string{args[1], "--help"})
		}
		printUsage(e.stdout)
		return 0
	case "-version", "--version":
		args = []string{"version"}
	}
	c, ok := commands[args[0]]
	if !ok && strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(e.stderr, "esimhooks: %s: unknown flag before the command (only --help and --version come first; a command's flags follow it)\n", args[0])
		fmt.Fprintln(e.stderr, "run 'esimhooks help' for the commands")
		return 2
	}
	if !ok {
		fmt.Fprintf(e.stderr, "esimhooks: unknown command %q (valid: %s)%s\n", args[0], strings.Join(commandNames(), ", "), suggestCommand(args[0]))
		fmt.Fprintln(e.stderr, "run 'esimhooks help' for the commands")
		return 2
	}
	err := c.run(ctx, e, args[1:])
	if err == nil {
		return 0
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		ee = &exitError{code: 2, msg: err.Error()}
	}
	if ee.msg != "" {
		fmt.Fprintf(e.stderr, "esimhooks %s: %s\n", args[0], userMessage(ee.msg))
	}
	if ee.help {
		fmt.Fprintf(e.stderr, "run 'esimhooks %s --help' for its flags\n", args[0])
	}
	return ee.code
}

// visible returns the named command unless it is hidden (__complete).
func visible(name string) (command, bool) {
	c, ok := commands[name]
	return c, ok && !strings.HasPrefix(name, "__")
}

// suggestCommand returns "; did you mean send?" for a near miss.
func suggestCommand(name string) string {
	if near := providers.Nearest(name, commandNames()); near != "" {
		return "; did you mean " + near + "?"
	}
	return ""
}

func commandNames() []string {
	var names []string
	for n := range commands {
		if _, ok := visible(n); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "esimhooks: a mock eSIM provider and a conformance suite for webhook receivers.")
	fmt.Fprintln(w, "\nUsage: esimhooks COMMAND [flags]   (esimhooks help COMMAND, or COMMAND --help, for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nesimhooks --version prints the version. Exit codes: 0 success, 1 a failed check or delivery, 2 bad usage or configuration.")
}
