package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer/events"
)

func eventsCommand() *cli.Command {
	return &cli.Command{
		Name:  "events",
		Usage: "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
		ArgsUsage: `<container-id>

Where "<container-id>" is the name for the instance of the container.`,
		Description: `The events command displays information about the container. By default the
information is displayed once every 5 seconds.`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "set the stats collection interval"},
			&cli.BoolFlag{Name: "stats", Usage: "display the container's stats then exit"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			interval := cmd.Duration("interval")
			if interval <= 0 {
				return fmt.Errorf("duration interval must be greater than 0")
			}
			c, err := runtimeOf(cmd).Load(cmd.Args().First())
			if err != nil {
				return err
			}
			defer c.Close()
			enc := json.NewEncoder(os.Stdout)
			return c.Events(interval, cmd.Bool("stats"), func(e events.Event) error { return enc.Encode(e) })
		},
	}
}
