package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/specconv"
)

func specCommand() *cli.Command {
	return &cli.Command{
		Name:  "spec",
		Usage: "create a new specification file",
		Description: `The spec command creates the new specification file named "config.json" for
the bundle.

The spec generated is just a starter file. Editing of the spec is required to
achieve desired results. For example, the newly generated spec includes an args
parameter that is initially set to call the "sh" command when the container is
started. Calling "sh" may work for an ubuntu container or busybox, but will not
work for containers that do not include the "sh" program.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "path to the root of the bundle directory"},
			&cli.BoolFlag{Name: "rootless", Usage: "generate a configuration for a rootless container"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 0, true); err != nil {
				return err
			}
			spec := specconv.Example()
			if cmd.Bool("rootless") {
				specconv.ToRootless(spec)
			}
			path := specconv.ConfigFile
			if b := cmd.String("bundle"); b != "" {
				path = filepath.Join(b, specconv.ConfigFile)
			}
			if _, err := os.Stat(path); err == nil {
				return errors.New("File " + path + " exists. Remove it first")
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
			data, err := json.MarshalIndent(spec, "", "\t")
			if err != nil {
				return err
			}
			if err := os.WriteFile(path, data, 0o666); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			return nil
		},
	}
}
