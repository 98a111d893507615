package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/urfave/cli/v3"
)

func stateCommand() *cli.Command {
	return &cli.Command{
		Name:  "state",
		Usage: "output the state of a container",
		ArgsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container.`,
		Description: `The state command outputs current state information for the
instance of a container.`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			c, err := runtimeOf(cmd).Load(cmd.Args().First())
			if err != nil {
				return err
			}
			defer c.Close()
			b, err := json.MarshalIndent(c.State(), "", "  ")
			if err != nil {
				return err
			}
			os.Stdout.Write(append(b, '\n'))
			return nil
		},
	}
}
