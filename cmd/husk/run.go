package main

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v3"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "create and run a container",
		ArgsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host.`,
		Description: `The run command creates an instance of a container for a bundle. The bundle
is a directory with a specification file named "config.json" and a root
filesystem.`,
		Flags: append(createFlags(),
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "detach from the container's process"},
			&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			detach := cmd.Bool("detach")
			c, err := createContainer(cmd, true, detach)
			if err != nil {
				return fmt.Errorf("husk run failed: %w", err)
			}
			if detach {
				c.Close()
				return nil
			}
			id, proc := c.ID(), c.Process()
			c.Close()
			code := proc.Wait()
			if !cmd.Bool("keep") {
				if err := runtimeOf(cmd).DeleteMissingOK(id); err != nil {
					logrus.Warnf("delete container %s: %v", id, err)
				}
			}
			if code != 0 {
				return exitCode(code)
			}
			return nil
		},
	}
}
