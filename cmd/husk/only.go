package main

import (
	"strings"

	"github.com/urfave/cli/v3"
)

// onlyCommand returns the one command that args (os.Args[1:]) run, alone,
// when they name one after the global flags: urfave/cli sets up every
// command of the app (flags, help, duplicate checks) before running any,
// about 0.3 ms of each husk start. Without a command name (husk --help,
// --version, help, a misspelt command) all of app's commands are kept, so
// that listings, suggestions and errors are unchanged.
func onlyCommand(app *cli.Command, args []string) []*cli.Command {
	name := commandArg(app, args)
	if name == "" {
		return app.Commands
	}
	for _, c := range app.Commands {
		if c.Name == name {
			return []*cli.Command{c}
		}
		for _, a := range c.Aliases {
			if a == name {
				return []*cli.Command{c}
			}
		}
	}
	return app.Commands
}

// commandArg is the first argument after app's global flags, "" when the
// flags do not end in a plain word (help and version flags, "--", a flag
// app does not have).
func commandArg(app *cli.Command, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "" || a == "-" || a == "--" {
			return ""
		}
		if a[0] != '-' {
			return a
		}
		flag, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := globalFlag(app, flag)
		if f == nil {
			return "" // -h, --help, -v, --version, or an error cli reports
		}
		if _, isBool := f.(*cli.BoolFlag); !isBool && !hasValue {
			i++ // its value
		}
	}
	return ""
}

func globalFlag(app *cli.Command, name string) cli.Flag {
	for _, f := range app.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}
