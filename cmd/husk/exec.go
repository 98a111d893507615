package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer"
	"github.com/husk-runtime/husk/libcontainer/capabilities"
	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/specconv"
)

func execCommand() *cli.Command {
	stop := 1
	return &cli.Command{
		Name:  "exec",
		Usage: "execute new process inside the container",
		ArgsUsage: `<container-id> <command> [command options]  || -p process.json <container-id>

Where "<container-id>" is the name for the instance of the container and
"<command>" is the command to be executed in the container.
"<command>" can't be empty unless a "-p" flag provided.

EXAMPLE:
For example, if the container is configured to run the linux ps command the
following will output a list of processes running in the container:

       # husk exec <container-id> ps`,
		StopOnNthArg: &stop,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "console-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal"},
			&cli.StringFlag{Name: "pidfd-socket", Usage: "path to an AF_UNIX socket which will receive a file descriptor referencing the exec process"},
			&cli.StringFlag{Name: "cwd", Usage: "current working directory in the container"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set environment variables"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-TTY"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID (format: <uid>[:<gid>])"},
			&cli.IntSliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "additional gids"},
			&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "path to the process.json"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "detach from the container's process"},
			&cli.StringFlag{Name: "pid-file", Usage: "specify the file to write the process id to"},
			&cli.StringFlag{Name: "process-label", Usage: "set the asm process label for the process commonly used with selinux"},
			&cli.StringFlag{Name: "apparmor", Usage: "set the apparmor profile for the process"},
			&cli.BoolFlag{Name: "no-new-privs", Usage: "set the no new privileges value for the process"},
			&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability to the bounding set for the process"},
			&cli.IntFlag{Name: "preserve-fds", Usage: "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)"},
			&cli.StringSliceFlag{Name: "cgroup", Usage: "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>."},
			&cli.BoolFlag{Name: "ignore-paused", Usage: "allow exec in a paused container"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			code, err := execProcess(cmd)
			if err != nil {
				return &codedError{err: fmt.Errorf("exec failed: %w", err), code: 255}
			}
			if code != 0 {
				return exitCode(code)
			}
			return nil
		},
	}
}

func execProcess(cmd *cli.Command) (int, error) {
	if err := checkArgs(cmd, 1, false); err != nil {
		return 0, err
	}
	c, err := runtimeOf(cmd).Load(cmd.Args().First())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	cfg, err := c.Config()
	if err != nil {
		return 0, err
	}
	proc, err := execSpec(cmd, cfg)
	if err != nil {
		return 0, err
	}
	detach := cmd.Bool("detach")
	if err := libcontainer.CheckTerminal(proc.Terminal, detach, cmd.String("console-socket")); err != nil {
		return 0, err
	}
	p, err := c.Exec(&libcontainer.ExecOpts{
		Process: proc, Detach: detach, ConsoleSocket: cmd.String("console-socket"),
		PidfdSocket: cmd.String("pidfd-socket"), PidFile: cmd.String("pid-file"),
		PreserveFds: preservedFiles(int(cmd.Int("preserve-fds"))), Cgroup: strings.Join(cmd.StringSlice("cgroup"), ";"),
		IgnorePaused: cmd.Bool("ignore-paused"),
	})
	if err != nil {
		return 0, err
	}
	c.Close()
	if detach {
		return 0, nil
	}
	return p.Wait(), nil
}

// execSpec builds the exec'd process from -p process.json, or from the
// container's process with the command line's args and flags.
func execSpec(cmd *cli.Command, cfg *configs.Config) (*configs.Process, error) {
	var proc *configs.Process
	if path := cmd.String("process"); path != "" {
		sp, err := specconv.LoadProcess(path)
		if err != nil {
			return nil, err
		}
		if proc, err = specconv.ToProcess(sp, "process"); err != nil {
			return nil, err
		}
	} else {
		args := cmd.Args().Slice()[1:]
		if len(args) == 0 {
			return nil, fmt.Errorf("exec args cannot be empty")
		}
		cp := *cfg.Process
		proc = &cp
		proc.Args = args
		proc.Env = append([]string(nil), cfg.Process.Env...)
		proc.Terminal = cmd.Bool("tty")
		proc.OOMScoreAdj = nil
		if cwd := cmd.String("cwd"); cwd != "" {
			proc.Cwd = cwd
		}
		if caps := cmd.StringSlice("cap"); len(caps) > 0 && proc.Capabilities != nil {
			mask, err := capabilities.Parse(caps)
			if err != nil {
				return nil, fmt.Errorf("--cap: %w", err)
			}
			c := *proc.Capabilities
			// Added to bounding, effective, permitted and ambient, never to
			// inheritable (CVE-2022-29162).
			c.Bounding |= mask
			c.Effective |= mask
			c.Permitted |= mask
			c.Ambient |= mask
			proc.Capabilities = &c
		}
		if u := cmd.String("user"); u != "" {
			uidStr, gidStr, hasGid := strings.Cut(u, ":")
			uid, err := strconv.ParseUint(uidStr, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("parsing %s as int for uid failed: %w", uidStr, err)
			}
			proc.UID = uint32(uid)
			if hasGid {
				gid, err := strconv.ParseUint(gidStr, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("parsing %s as int for gid failed: %w", gidStr, err)
				}
				proc.GID = uint32(gid)
			}
		}
		if gids := cmd.IntSlice("additional-gids"); len(gids) > 0 {
			proc.AdditionalGids = nil
			for _, g := range gids {
				if g < 0 {
					return nil, fmt.Errorf("additional-gids: %d is negative", g)
				}
				proc.AdditionalGids = append(proc.AdditionalGids, uint32(g))
			}
		}
		if cmd.Bool("no-new-privs") {
			proc.NoNewPrivileges = true
		}
		if a := cmd.String("apparmor"); a != "" {
			if err := specconv.CheckAppArmor("--apparmor", a); err != nil {
				return nil, err
			}
			proc.ApparmorProfile = a
		}
		if l := cmd.String("process-label"); l != "" {
			if err := specconv.CheckSELinux("--process-label", l); err != nil {
				return nil, err
			}
			proc.SelinuxLabel = l
		}
	}
	proc.Env = envDedup(append(proc.Env, cmd.StringSlice("env")...))
	if cmd.String("process") != "" && cmd.Bool("tty") {
		proc.Terminal = true
	}
	addListenFds(proc)
	return proc, nil
}
