package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer"
	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/specconv"
)

// containerID returns the command's first argument, required.
func containerID(cmd *cli.Command) (string, error) {
	id := cmd.Args().First()
	if id == "" {
		return "", fmt.Errorf("%s requires a container id as its first argument", cmd.Name)
	}
	return id, nil
}

// checkArgs enforces runc's argument counts.
func checkArgs(cmd *cli.Command, n int, exact bool) error {
	got := cmd.NArg()
	if exact && got != n {
		return fmt.Errorf("%q requires exactly %d argument(s)", cmd.Name, n)
	}
	if !exact && got < n {
		return fmt.Errorf("%q requires a minimum of %d argument(s)", cmd.Name, n)
	}
	return nil
}

// onContainer is the action of a command that takes exactly one container
// id and calls fn on that container, locked.
func onContainer(fn func(*libcontainer.Container) error) cli.ActionFunc {
	return func(ctx context.Context, cmd *cli.Command) error {
		if err := checkArgs(cmd, 1, true); err != nil {
			return err
		}
		c, err := runtimeOf(cmd).Load(cmd.Args().First())
		if err != nil {
			return err
		}
		defer c.Close()
		return fn(c)
	}
}

// loadBundle reads the bundle's config.json and converts it.
func loadBundle(cmd *cli.Command, id string) (string, *configs.Config, error) {
	bundle := cmd.String("bundle")
	if bundle == "" {
		bundle = "."
	}
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", nil, fmt.Errorf("bundle %s: %w", bundle, unwrapPath(err))
	}
	spec, err := specconv.LoadSpec(abs)
	if err != nil {
		return "", nil, err
	}
	cfg, err := specconv.ToConfig(spec, specconv.Options{
		Bundle: abs, ID: id, NoPivotRoot: cmd.Bool("no-pivot"), NoNewKeyring: cmd.Bool("no-new-keyring"),
		SystemdCgroup: cmd.Root().Bool("systemd-cgroup"), Rootless: rootless(cmd),
	})
	if err != nil {
		return "", nil, err
	}
	addListenFds(cfg.Process)
	return abs, cfg, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// listenFds is the systemd socket-activation fd count passed through.
func listenFds() int {
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// addListenFds passes LISTEN_FDS to the payload as runc does.
func addListenFds(p *configs.Process) {
	if n := listenFds(); n > 0 {
		p.Env = append(p.Env, "LISTEN_FDS="+strconv.Itoa(n), "LISTEN_PID=1")
	}
}

// preservedFiles returns fds 3..3+LISTEN_FDS+n-1 of husk for the payload.
func preservedFiles(n int) []*os.File {
	total := listenFds() + n
	files := make([]*os.File, 0, total)
	for i := 0; i < total; i++ {
		files = append(files, os.NewFile(uintptr(3+i), "preserved-fd-"+strconv.Itoa(3+i)))
	}
	return files
}

// createFlags are shared by create and run.
func createFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "path to the root of the bundle directory, defaults to the current directory"},
		&cli.StringFlag{Name: "console-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the init process"},
		&cli.StringFlag{Name: "pid-file", Usage: "specify the file to write the process id to"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk"},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "do not create a new session keyring for the container.  This will cause the container to inherit the calling processes session key"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)"},
	}
}

// envDedup keeps the last value of each variable at its first position.
func envDedup(env []string) []string {
	idx := map[string]int{}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

var _ = libcontainer.CheckTerminal
