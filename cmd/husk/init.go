package main

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"
)

// initCommand only exists for help and for a mistaken call: the real init
// runs in the C constructor (libcontainer/nsenter) and never gets here.
func initCommand() *cli.Command {
	return &cli.Command{
		Name:   "init",
		Usage:  `initialize the namespaces and launch the process (do not call it outside of husk)`,
		Hidden: true,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return errors.New("husk init must be started by husk itself")
		},
	}
}
