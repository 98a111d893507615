package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/urfave/cli/v3"
)

func TestOnlyCommand(t *testing.T) {
	app := newApp()
	for _, c := range []struct {
		args []string
		want string // "" = all commands kept
	}{
		{[]string{"run", "x"}, "run"},
		{[]string{"--root", "/tmp/r", "--log", "/tmp/l", "--log-format=json", "--debug", "exec", "-t", "x", "sh"}, "exec"},
		{[]string{"--systemd-cgroup", "--rootless", "false", "start", "x"}, "start"},
		{[]string{"-root", "/run/x", "state", "x"}, "state"},
		{[]string{"--debug=true", "kill", "x", "KILL"}, "kill"},
		{[]string{"--root", "state"}, ""}, // "state" is --root's value: no command
		{[]string{"--help"}, ""},
		{[]string{"-v"}, ""},
		{[]string{"help", "run"}, ""},
		{[]string{"rnu", "x"}, ""},
		{[]string{"--no-such-flag", "run"}, ""},
		{[]string{"--", "run"}, ""},
		{nil, ""},
	} {
		got := onlyCommand(app, c.args)
		switch {
		case c.want == "" && len(got) != len(app.Commands):
			t.Errorf("%q: kept %d of %d commands, want all", c.args, len(got), len(app.Commands))
		case c.want != "" && (len(got) != 1 || got[0].Name != c.want):
			t.Errorf("%q: kept %d commands, want only %s", c.args, len(got), c.want)
		}
	}
}

// A command's own help is the same with only that command set up.
func TestOnlyCommandHelp(t *testing.T) {
	help := func(only bool, args ...string) string {
		var out bytes.Buffer
		app := newApp()
		app.Writer = &out
		app.ExitErrHandler = func(context.Context, *cli.Command, error) {}
		argv := append([]string{"husk"}, args...)
		if only {
			app.Commands = onlyCommand(app, argv[1:])
		}
		if err := app.Run(context.Background(), argv); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return out.String()
	}
	for _, args := range [][]string{{"run", "--help"}, {"--root", os.TempDir(), "exec", "--help"}, {"kill", "-h"}} {
		all, one := help(false, args...), help(true, args...)
		if all != one || len(one) < 100 {
			t.Errorf("%q: help differs with only the command set up:\n%s\n---\n%s", args, all, one)
		}
	}
}
