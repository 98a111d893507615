package main

import (
	"context"

	"github.com/urfave/cli/v3"
)

func pauseCommand() *cli.Command {
	return &cli.Command{
		Name:  "pause",
		Usage: "pause suspends all processes inside the container",
		ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
paused. `,
		Description: `The pause command suspends all processes in the instance of the container.

Use husk list to identify instances of containers and their current status.`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			c, err := runtimeOf(cmd).Load(cmd.Args().First())
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Pause()
		},
	}
}
