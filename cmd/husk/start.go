package main

import (
	"context"

	"github.com/urfave/cli/v3"
)

func startCommand() *cli.Command {
	return &cli.Command{
		Name:  "start",
		Usage: "executes the user defined process in a created container",
		ArgsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host.`,
		Description: `The start command executes the user defined process in a created container.`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			c, err := runtimeOf(cmd).Load(cmd.Args().First())
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Start()
		},
	}
}
