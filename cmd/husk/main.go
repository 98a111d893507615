// husk lives for milliseconds: skip the runtime's container-aware
// GOMAXPROCS probe (cgroup and mountinfo reads at start-up) and its updater.

//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command husk is an OCI container runtime with runc's command line.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer"
	_ "github.com/husk-runtime/husk/libcontainer/nsenter" // the init, in C, before the Go runtime
	"github.com/husk-runtime/husk/libcontainer/seccomp"
)

// Set by the Makefile.
var (
	version   = "0.1.0-dev"
	gitCommit = ""
)

const usage = `Open Container Initiative runtime

husk is a command line client for running applications packaged according to
the Open Container Initiative (OCI) format and is a compliant implementation of the
Open Container Initiative specification.

Containers are configured using bundles. A bundle for a container is a directory
that includes a specification file named "config.json" and a root filesystem.
The root filesystem contains the contents of the container.

To start a new instance of a container:

    # husk run [ -b bundle ] <container-id>

Where "<container-id>" is your name for the instance of the container that you
are starting. The name you provide for the container instance must be unique on
your host. Providing the bundle directory using "-b" is optional. The default
value for "bundle" is the current directory.`

func versionString() string {
	v := []string{"husk version " + version}
	if gitCommit != "" {
		v = append(v, "commit: "+gitCommit)
	}
	v = append(v, "spec: "+specs.Version, "go: "+runtime.Version())
	if lv := seccomp.LibraryVersion(); lv != "" {
		v = append(v, "libseccomp: "+lv)
	}
	return strings.Join(v, "\n")
}

func newApp() *cli.Command {
	cli.VersionPrinter = func(cmd *cli.Command) { fmt.Println(versionString()) }
	return &cli.Command{
		Name:    "husk",
		Usage:   usage,
		Version: version,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "debug", Usage: "enable debug logging"},
			&cli.StringFlag{Name: "log", Usage: "set the log file to write husk logs to (default is '/dev/stderr')"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "set the log format ('text' (default), or 'json')"},
			&cli.StringFlag{Name: "root", Value: defaultRoot(), Usage: "root directory for storage of container state (this should be located in tmpfs)"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\" for e.g. \"system.slice:husk:434234\""},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "ignore cgroup permission errors ('true', 'false', or 'auto')"},
			&cli.StringFlag{Name: "criu", Value: "criu", Usage: "path to the criu binary used for checkpoint and restore", Hidden: true},
		},
		Before: setupLogging,
		Commands: []*cli.Command{
			createCommand(), deleteCommand(), eventsCommand(), execCommand(), featuresCommand(), initCommand(),
			killCommand(), listCommand(), pauseCommand(), psCommand(), resumeCommand(), runCommand(), specCommand(), startCommand(), stateCommand(), updateCommand(),
		},
	}
}

func main() {
	app := newApp()
	app.Commands = onlyCommand(app, os.Args[1:])
	err := app.Run(context.Background(), os.Args)
	if err != nil {
		fatal(err)
	}
}

// exitCode lets an action end husk with a status and no message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// fatal reports err as runc does: to the log (the shim reads the last
// error line of --log) and, when the log is a file, also to stderr.
func fatal(err error) {
	var ec exitCode
	if errors.As(err, &ec) {
		os.Exit(int(ec))
	}
	code := 1
	var ce *codedError
	if errors.As(err, &ce) {
		code = ce.code
	}
	logrus.Error(err)
	if logFile != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// codedError carries a non-default exit status (exec's 255).
type codedError struct {
	err  error
	code int
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

var logFile *os.File

func setupLogging(ctx context.Context, cmd *cli.Command) (context.Context, error) {
	if cmd.Bool("debug") {
		logrus.SetLevel(logrus.DebugLevel)
	}
	switch f := cmd.String("log-format"); f {
	case "text", "":
		logrus.SetFormatter(&logrus.TextFormatter{DisableColors: true, FullTimestamp: true})
	case "json":
		logrus.SetFormatter(&logrus.JSONFormatter{})
	default:
		return ctx, fmt.Errorf("invalid log-format: %s", f)
	}
	if p := cmd.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return ctx, err
		}
		logFile = f
		logrus.SetOutput(f)
	}
	return ctx, nil
}

// runtimeOf returns the runtime for the global flags.
func runtimeOf(cmd *cli.Command) *libcontainer.Runtime {
	return &libcontainer.Runtime{Root: cmd.Root().String("root"), SystemdCgroup: cmd.Root().Bool("systemd-cgroup"),
		Rootless: rootless(cmd)}
}

// defaultRoot is runc's: $XDG_RUNTIME_DIR/husk for an unprivileged user
// who has one, /run/husk otherwise.
func defaultRoot() string {
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && os.Geteuid() != 0 {
		return x + "/husk"
	}
	return "/run/husk"
}

// rootless reads --rootless: "auto" is rootless when husk is not root, or
// is root of a user namespace other than the initial one.
func rootless(cmd *cli.Command) bool {
	switch cmd.Root().String("rootless") {
	case "true":
		return true
	case "false":
		return false
	}
	if os.Geteuid() != 0 {
		return true
	}
	b, err := os.ReadFile("/proc/self/uid_map")
	return err == nil && !strings.HasPrefix(strings.Join(strings.Fields(string(b)), " "), "0 0 4294967295")
}
