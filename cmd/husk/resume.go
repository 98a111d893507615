package main

import (
	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer"
)

func resumeCommand() *cli.Command {
	return &cli.Command{
		Name:  "resume",
		Usage: "resumes all processes that have been previously paused",
		ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container to be
resumed.`,
		Description: `The resume command resumes all processes in the instance of the container.

Use husk list to identify instances of containers and their current status.`,
		Action: onContainer((*libcontainer.Container).Resume),
	}
}
