package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"
)

func killCommand() *cli.Command {
	return &cli.Command{
		Name:  "kill",
		Usage: "kill sends the specified signal (default: SIGTERM) to the container's init process",
		ArgsUsage: `<container-id> [signal]

Where "<container-id>" is the name for the instance of the container and
"[signal]" is the signal to be sent to the init process.

EXAMPLE:
For example, if the container id is "ubuntu01" the following will send a "KILL"
signal to the init process of the "ubuntu01" container:

       # husk kill ubuntu01 KILL`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "send the specified signal to all processes inside the container"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, false); err != nil {
				return err
			}
			if cmd.NArg() > 2 {
				return fmt.Errorf("%q requires a maximum of 2 argument(s)", cmd.Name)
			}
			sigstr := cmd.Args().Get(1)
			if sigstr == "" {
				sigstr = "SIGTERM"
			}
			sig, err := parseSignal(sigstr)
			if err != nil {
				return err
			}
			c, err := runtimeOf(cmd).Load(cmd.Args().First())
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Signal(sig, cmd.Bool("all"))
		},
	}
}

// parseSignal accepts "KILL", "SIGKILL", "9", and real-time "RTMIN+3".
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("unknown signal %q", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	for _, base := range []struct {
		prefix string
		n, dir int
	}{{"SIGRTMIN+", 34, 1}, {"SIGRTMAX-", 64, -1}} {
		if rest, ok := strings.CutPrefix(name, base.prefix); ok {
			if k, err := strconv.Atoi(rest); err == nil && k >= 0 && k <= 30 {
				return unix.Signal(base.n + base.dir*k), nil
			}
		}
	}
	switch name {
	case "SIGRTMIN":
		return unix.Signal(34), nil
	case "SIGRTMAX":
		return unix.Signal(64), nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}
