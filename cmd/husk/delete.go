package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer/state"
)

func deleteCommand() *cli.Command {
	return &cli.Command{
		Name:  "delete",
		Usage: "delete any resources held by the container often used with detached container",
		ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container.

EXAMPLE:
For example, if the container id is "ubuntu01" and husk list currently shows the
status of "ubuntu01" as "stopped" the following will delete resources held for
"ubuntu01" removing "ubuntu01" from the husk list of containers:

       # husk delete ubuntu01`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "Forcibly deletes the container if it is still running (uses SIGKILL)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			rt := runtimeOf(cmd)
			id := cmd.Args().First()
			if cmd.Bool("force") {
				return rt.DeleteMissingOK(id)
			}
			c, err := rt.Load(id)
			if err != nil {
				if errors.Is(err, state.ErrNotExist) {
					return err
				}
				return err
			}
			defer c.Close()
			return c.Delete(false)
		},
	}
}
