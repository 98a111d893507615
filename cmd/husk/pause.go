package main

import (
	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer"
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
		Action: onContainer((*libcontainer.Container).Pause),
	}
}
