package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer"
)

func updateCommand() *cli.Command {
	str := func(name, usage string) cli.Flag { return &cli.StringFlag{Name: name, Usage: usage} }
	return &cli.Command{
		Name:      "update",
		Usage:     "update container resource constraints",
		ArgsUsage: `<container-id>`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: `path to the file containing the resources to update or '-' to read from the standard input

The accepted format is as follow (unchanged values can be omitted):

{
  "memory": {
    "limit": 0,
    "reservation": 0,
    "swap": 0,
    "checkBeforeUpdate": true
  },
  "cpu": {
    "shares": 0,
    "quota": 0,
    "burst": 0,
    "period": 0,
    "realtimeRuntime": 0,
    "realtimePeriod": 0,
    "cpus": "",
    "mems": "",
    "idle": 0
  },
  "blockIO": {
    "weight": 0
  }
}

Note: if data is to be read from a file or the standard input, all
other options are ignored.`},
			&cli.IntFlag{Name: "blkio-weight", Usage: "Specifies per cgroup weight, range is from 10 to 1000"},
			str("cpu-period", "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default"),
			str("cpu-quota", "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"),
			str("cpu-burst", "CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given period"),
			str("cpu-share", "CPU shares (relative weight vs. other containers)"),
			str("cpu-rt-period", "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default"),
			str("cpu-rt-runtime", "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period"),
			str("cpuset-cpus", "CPU(s) to use"),
			str("cpuset-mems", "Memory node(s) to use"),
			&cli.StringFlag{Name: "kernel-memory", Usage: "(obsoleted; do not use)", Hidden: true},
			&cli.StringFlag{Name: "kernel-memory-tcp", Usage: "(obsoleted; do not use)", Hidden: true},
			str("memory", "Memory limit (in bytes)"),
			str("cpu-idle", "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE"),
			str("memory-reservation", "Memory reservation or soft_limit (in bytes)"),
			str("memory-swap", "Total memory usage (memory + swap); set '-1' to enable unlimited swap"),
			&cli.IntFlag{Name: "pids-limit", Usage: "Maximum number of pids allowed in the container"},
			str("l3-cache-schema", "The string of Intel RDT/CAT L3 cache schema"),
			str("mem-bw-schema", "The string of Intel RDT/MBA memory bandwidth schema"),
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return onContainer(func(c *libcontainer.Container) error { return updateContainer(cmd, c) })(ctx, cmd)
		},
	}
}

// updateContainer builds the resources to change from -r or the flags.
func updateContainer(cmd *cli.Command, c *libcontainer.Container) error {
	r, err := updateResources(cmd)
	if err != nil {
		return err
	}
	return c.Update(r)
}

func updateResources(cmd *cli.Command) (*specs.LinuxResources, error) {
	r := &specs.LinuxResources{}
	if in := cmd.String("resources"); in != "" {
		var f io.Reader = os.Stdin
		if in != "-" {
			file, err := os.Open(in)
			if err != nil {
				return nil, err
			}
			defer file.Close()
			f = file
		}
		if err := json.NewDecoder(f).Decode(r); err != nil {
			return nil, fmt.Errorf("decode resources: %w", err)
		}
		return r, nil
	}
	for _, name := range []string{"l3-cache-schema", "mem-bw-schema"} {
		if cmd.String(name) != "" {
			return nil, fmt.Errorf("--%s: Intel RDT is not supported", name)
		}
	}
	cpu, mem := &specs.LinuxCPU{}, &specs.LinuxMemory{}
	if v := cmd.Int("blkio-weight"); v != 0 {
		w := uint16(v)
		r.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	cpu.Cpus, cpu.Mems = cmd.String("cpuset-cpus"), cmd.String("cpuset-mems")
	for _, p := range []struct {
		opt  string
		dest **uint64
	}{{"cpu-burst", &cpu.Burst}, {"cpu-period", &cpu.Period}, {"cpu-rt-period", &cpu.RealtimePeriod}, {"cpu-share", &cpu.Shares}} {
		if val := cmd.String(p.opt); val != "" {
			v, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid value for %s: %w", p.opt, err)
			}
			*p.dest = &v
		}
	}
	for _, p := range []struct {
		opt  string
		dest **int64
	}{{"cpu-quota", &cpu.Quota}, {"cpu-rt-runtime", &cpu.RealtimeRuntime}, {"cpu-idle", &cpu.Idle}} {
		if val := cmd.String(p.opt); val != "" {
			v, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid value for %s: %w", p.opt, err)
			}
			*p.dest = &v
		}
	}
	for _, p := range []struct {
		opt  string
		dest **int64
	}{{"memory", &mem.Limit}, {"memory-swap", &mem.Swap}, {"memory-reservation", &mem.Reservation},
		{"kernel-memory", &mem.Kernel}, {"kernel-memory-tcp", &mem.KernelTCP}} { //nolint:staticcheck // warned about by the cgroup managers
		if val := cmd.String(p.opt); val != "" {
			v, err := ramInBytes(val)
			if err != nil {
				return nil, fmt.Errorf("invalid value for %s: %w", p.opt, err)
			}
			*p.dest = &v
		}
	}
	if *cpu != (specs.LinuxCPU{}) {
		r.CPU = cpu
	}
	if *mem != (specs.LinuxMemory{}) {
		// As runc: unlimited memory without a swap value lifts swap too.
		if mem.Limit != nil && *mem.Limit == -1 && mem.Swap == nil {
			unlimited := int64(-1)
			mem.Swap = &unlimited
		}
		r.Memory = mem
	}
	if cmd.IsSet("pids-limit") {
		l := int64(cmd.Int("pids-limit"))
		r.Pids = &specs.LinuxPids{Limit: &l}
	}
	return r, nil
}

// ramInBytes parses a size as runc does (docker/go-units RAMInBytes):
// a number with an optional binary unit (b, k, m, g, t, p; "kb", "kib"
// too), or -1 for unlimited.
func ramInBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("invalid size: %q", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
		"mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
		"p": 1 << 50, "pb": 1 << 50, "pib": 1 << 50}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("invalid suffix: %q", unit)
	}
	return int64(f * mult), nil
}
