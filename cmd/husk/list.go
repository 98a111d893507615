package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"
)

func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "lists containers started by husk with the given root",
		ArgsUsage: `

Where the given root is specified via the global option "--root"
(default: "/run/husk").

EXAMPLE 1:
To list containers created via the default "--root":
       # husk list

EXAMPLE 2:
To list containers created using a non-default value for "--root":
       # husk --root value list`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: `select one of: table or json (default: "table")`},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "display only container IDs"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 0, true); err != nil {
				return err
			}
			list, err := runtimeOf(cmd).List(cmd.Root().IsSet("root"))
			if err != nil {
				return err
			}
			if cmd.Bool("quiet") {
				for _, s := range list {
					fmt.Println(s.ID)
				}
				return nil
			}
			switch cmd.String("format") {
			case "table":
				w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
				fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
				for _, s := range list {
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle,
						s.Created.Format(time.RFC3339Nano), s.Owner)
				}
				return w.Flush()
			case "json":
				if list == nil {
					fmt.Println("null")
					return nil
				}
				return json.NewEncoder(os.Stdout).Encode(list)
			default:
				return fmt.Errorf("invalid format option")
			}
		},
	}
}
