package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"
)

var one = 1

func psCommand() *cli.Command {
	return &cli.Command{
		Name:      "ps",
		Usage:     "ps displays the processes running inside a container",
		ArgsUsage: `<container-id> [ps options]`,
		// Everything after the container id goes to ps (runc: ps ID -e -x).
		StopOnNthArg: &one,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: `select one of: table or json`},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, false); err != nil {
				return err
			}
			c, err := runtimeOf(cmd).Load(cmd.Args().First())
			if err != nil {
				return err
			}
			defer c.Close()
			pids, err := c.Processes()
			if err != nil {
				return err
			}
			switch cmd.String("format") {
			case "table":
			case "json":
				if pids == nil {
					pids = []int{}
				}
				return json.NewEncoder(os.Stdout).Encode(pids)
			default:
				return fmt.Errorf("invalid format option")
			}
			psArgs := cmd.Args().Tail()
			if len(psArgs) == 0 {
				psArgs = []string{"-ef"}
			}
			out, err := exec.Command("ps", psArgs...).Output()
			if err != nil {
				return fmt.Errorf("ps %s: %w: %s", strings.Join(psArgs, " "), err, bytes.TrimSpace(out))
			}
			return printPs(out, pids)
		},
	}
}

// printPs prints the header of ps's output and the lines of the
// container's processes, found by the PID column (as runc does).
func printPs(out []byte, pids []int) error {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	col := -1
	for i, name := range strings.Fields(lines[0]) {
		if name == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("couldn't find PID field in ps output")
	}
	in := make(map[int]bool, len(pids))
	for _, p := range pids {
		in[p] = true
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) <= col {
			continue
		}
		if p, err := strconv.Atoi(f[col]); err == nil && in[p] {
			b.WriteString(l + "\n")
		}
	}
	_, err := os.Stdout.WriteString(b.String())
	return err
}
