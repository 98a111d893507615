package nsenter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/initplan"
	"github.com/husk-runtime/husk/libcontainer/planner"
	"github.com/husk-runtime/husk/specconv"
)

// specSeeds are config.json inputs for the fuzz targets: `husk spec` (the
// default config, and the rootless one) and a few variations.
func specSeeds(t testing.TB) [][]byte {
	var out [][]byte
	add := func(s *specs.Spec) {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	add(specconv.Example())
	s := specconv.Example()
	specconv.ToRootless(s)
	add(s)
	s = specconv.Example()
	s.Process.Terminal = false
	s.Process.OOMScoreAdj = new(int)
	s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_CORE", Hard: 0, Soft: 0})
	s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "0-1"}
	s.Linux.Namespaces = append(s.Linux.Namespaces,
		specs.LinuxNamespace{Type: "cgroup"}, specs.LinuxNamespace{Type: "time"})
	s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 1}}
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}}
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: "rootfs", Options: []string{"rbind", "ro"}},
		specs.Mount{Destination: "/tmp", Type: "tmpfs", Options: []string{"tmpcopyup"}})
	s.Domainname = "example"
	z := 1
	s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true", Args: []string{"true"}, Timeout: &z}},
		StartContainer: []specs.Hook{{Path: "/bin/true"}}, Prestart: []specs.Hook{{Path: "/bin/true"}}}
	add(s)
	return out
}

// FuzzSpecPlan: whatever config.json specconv accepts, the planner's plans
// for it (create, run, exec) are accepted by the init's C decoder. The
// planner relies on specconv for what the wire format cannot carry (NUL
// bytes in strings): a plan the init refuses is a config husk should have
// refused with a clear error.
func FuzzSpecPlan(f *testing.F) {
	for _, b := range specSeeds(f) {
		f.Add(b, uint8(0))
		f.Add(b, uint8(0xff))
	}
	bundle := f.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		f.Fatal(err)
	}
	cgroupMounts := func(bool) []planner.CgroupMount {
		return []planner.CgroupMount{{Source: "cgroup", Dest: "cpu", FSType: "cgroup", Data: "cpu"},
			{Dest: "cpuacct", Symlink: "cpu"}}
	}
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		spec, err := specconv.ParseSpec(data)
		if err != nil {
			return
		}
		cfg, err := specconv.ToConfig(spec, specconv.Options{Bundle: bundle, ID: "fuzz", NoPivotRoot: flags&1 != 0,
			NoNewKeyring: flags&2 != 0, Rootless: flags&4 != 0})
		if err != nil {
			return
		}
		o := &planner.Options{ID: "fuzz", FifoFd: 4, PreserveFds: int(flags>>4) & 3, Hooks: cfg.Hooks,
			CgroupMounts: cgroupMounts, HostDevices: cfg.HasNamespace(configs.NEWUSER), LateCgroupJoin: flags&8 != 0}
		if cfg.Seccomp != nil {
			// What seccomp.Compile makes, in shape: n x struct sock_filter.
			o.Seccomp = &planner.Seccomp{Program: make([]byte, 8*2), Notify: flags&64 != 0}
		}
		for _, mode := range []planner.Mode{planner.ModeCreate, planner.ModeRun, planner.ModeExec} {
			mo := *o
			mo.Mode = mode
			if mode == planner.ModeExec {
				for _, ns := range cfg.Namespaces {
					mo.NsPaths = append(mo.NsPaths, planner.NsPath{Type: ns.Type, Path: "/proc/1/ns/" + string(ns.Type)})
				}
				if !cfg.HasNamespace(configs.NEWNS) {
					mo.ExecRoot = "/proc/1/root"
				}
			}
			checkBuiltPlan(t, cfg, &mo)
		}
	})
}

func checkBuiltPlan(t *testing.T, cfg *configs.Config, o *planner.Options) {
	t.Helper()
	res, err := planner.Build(cfg, o)
	if err != nil {
		if err.Error() == "" {
			t.Fatalf("mode %d: empty error", o.Mode)
		}
		return
	}
	b, err := res.Plan.Bytes()
	if err != nil {
		return // over MaxLen: refused with an error
	}
	if err := validatePlan(b); err != nil {
		ops, _ := initplan.Decode(b)
		t.Fatalf("mode %d: the init refuses the planner's plan: %v\n%s", o.Mode, err, initplan.String(ops))
	}
	if _, err := initplan.Decode(b); err != nil {
		t.Fatalf("mode %d: the Go decoder refuses the planner's plan: %v", o.Mode, err)
	}
}

// plannedSeeds are the plans the planner builds for the spec seeds, in
// every mode (seeds of FuzzPlanDecode).
func plannedSeeds(f *testing.F) [][]byte {
	bundle := f.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, data := range specSeeds(f) {
		spec, err := specconv.ParseSpec(data)
		if err != nil {
			f.Fatal(err)
		}
		cfg, err := specconv.ToConfig(spec, specconv.Options{Bundle: bundle, ID: "seed"})
		if err != nil {
			f.Fatal(err)
		}
		for _, mode := range []planner.Mode{planner.ModeCreate, planner.ModeRun, planner.ModeExec} {
			res, err := planner.Build(cfg, &planner.Options{Mode: mode, ID: "seed", FifoFd: 3, Hooks: cfg.Hooks,
				NsPaths: []planner.NsPath{{Type: configs.NEWNS, Path: "/proc/1/ns/mnt"}}})
			if err != nil {
				f.Fatal(err)
			}
			b, err := res.Plan.Bytes()
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}
