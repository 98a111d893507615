package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer"
)

func createCommand() *cli.Command {
	return &cli.Command{
		Name:  "create",
		Usage: "create a container",
		ArgsUsage: `<container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host.`,
		Description: `The create command creates an instance of a container for a bundle. The bundle
is a directory with a specification file named "config.json" and a root
filesystem.`,
		Flags: createFlags(),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			_, err := createContainer(cmd, false, true)
			if err != nil {
				return fmt.Errorf("husk create failed: %w", err)
			}
			return nil
		},
	}
}

// createContainer is create, and run's first half.
func createContainer(cmd *cli.Command, run, detach bool) (*libcontainer.Created, error) {
	id, err := containerID(cmd)
	if err != nil {
		return nil, err
	}
	bundle, cfg, err := loadBundle(cmd, id)
	if err != nil {
		return nil, err
	}
	if err := libcontainer.CheckTerminal(cfg.Process.Terminal, detach, cmd.String("console-socket")); err != nil {
		return nil, err
	}
	cfg.Process.Env = envDedup(cfg.Process.Env)
	rt := runtimeOf(cmd)
	c, err := rt.Create(&libcontainer.CreateOpts{
		ID: id, Bundle: bundle, Config: cfg, Run: run, Foreground: !detach,
		ConsoleSocket: cmd.String("console-socket"), PidfdSocket: cmd.String("pidfd-socket"),
		PidFile: cmd.String("pid-file"), PreserveFds: preservedFiles(int(cmd.Int("preserve-fds"))),
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
