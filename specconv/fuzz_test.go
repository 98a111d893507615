package specconv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzToConfig feeds arbitrary config.json bytes through ParseSpec and
// ToConfig (and the process part through ParseProcess and ToProcess): any
// input must give a config or a non-empty error, never a panic, and the
// config must survive the state.json round trip (json.Marshal, then
// DecodeConfig as encoding/json).
func FuzzToConfig(f *testing.F) {
	seed := func(s *specs.Spec) {
		data, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0))
	}
	seed(Example())
	s := Example()
	ToRootless(s)
	seed(s)
	s = Example()
	s.Linux.Namespaces = append(s.Linux.Namespaces,
		specs.LinuxNamespace{Type: "user"}, specs.LinuxNamespace{Type: "time"})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
	s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}}
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel/shmmax": "5"}
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}}
	s.Linux.RootfsPropagation = "rslave"
	s.Linux.CgroupsPath = "/x/../y"
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/data", Type: "bind", Source: "rootfs", Options: []string{"ridmap", "rro", "rnoatime"}},
		specs.Mount{Destination: "tmp", Type: "tmpfs", Options: []string{"tmpcopyup", "mode=1777", "rshared"}})
	s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedFIFO, Priority: 5}
	s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4}
	s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0-3,7", Final: "1"}
	s.Process.Env = append(s.Process.Env, "TERM=dumb")
	z := 3
	s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true", Timeout: &z}}}
	s.Annotations = map[string]string{"a": "b"}
	seed(s)
	f.Add([]byte(`{"ociVersion":"1.0.0"}`), uint8(1))
	f.Add([]byte(`{"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"args":["a"],"cwd":"/"},"linux":{"namespaces":[{"type":"mount"}]}}`), uint8(2))

	bundle := f.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		opts := Options{
			Bundle:        bundle,
			ID:            "fuzz",
			NoPivotRoot:   flags&1 != 0,
			NoNewKeyring:  flags&2 != 0,
			SystemdCgroup: flags&4 != 0,
			Rootless:      flags&8 != 0,
		}
		if p, err := ParseProcess(data, "process.json"); err != nil {
			if err.Error() == "" {
				t.Fatal("ParseProcess: empty error")
			}
		} else if _, err := ToProcess(p, ""); err != nil && err.Error() == "" {
			t.Fatal("ToProcess: empty error")
		}
		spec, err := ParseSpec(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("ParseSpec: empty error")
			}
			return
		}
		c, err := ToConfig(spec, opts)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("ToConfig: empty error")
			}
			return
		}
		if c.Process == nil || c.Cgroups == nil || c.Rootfs == "" {
			t.Fatalf("incomplete config without error: %+v", c)
		}
		// The config is kept in state.json and read back by DecodeConfig
		// (exec): it must encode, and decode as encoding/json decodes it.
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("the config does not encode: %v", err)
		}
		checkDecoder(t, raw, DecodeConfig)
	})
}
