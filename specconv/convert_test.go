package specconv

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// newBundle makes a bundle directory with an empty rootfs.
func newBundle(t testing.TB) string {
	t.Helper()
	b := t.TempDir()
	if err := os.Mkdir(filepath.Join(b, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return b
}

// baseSpec is a valid spec independent of the host (no cgroup namespace
// decision, no ambient capabilities).
func baseSpec() *specs.Spec {
	s := Example()
	s.Process.Capabilities.Ambient = nil
	s.Linux.Namespaces = []specs.LinuxNamespace{
		{Type: "pid"}, {Type: "network"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"},
	}
	return s
}

func u32(v uint32) *uint32 { return &v }
func i64(v int64) *int64   { return &v }

func TestToConfigExample(t *testing.T) {
	b := newBundle(t)
	c, err := ToConfig(Example(), Options{Bundle: b, ID: "ctr"})
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(b)
	if c.Rootfs != filepath.Join(real, "rootfs") || !c.Readonlyfs {
		t.Errorf("rootfs = %q, %v", c.Rootfs, c.Readonlyfs)
	}
	if c.Hostname != "runc" || c.OCIVersion != specs.Version {
		t.Errorf("hostname %q version %q", c.Hostname, c.OCIVersion)
	}
	if len(c.Mounts) != 7 {
		t.Fatalf("%d mounts", len(c.Mounts))
	}
	dev := c.Mounts[1]
	if dev.Destination != "/dev" || dev.Device != "tmpfs" || dev.Source != "tmpfs" ||
		dev.Flags != unix.MS_NOSUID|unix.MS_STRICTATIME || dev.Data != "mode=755,size=65536k" {
		t.Errorf("/dev mount = %+v", dev)
	}
	if sys := c.Mounts[5]; sys.Flags != unix.MS_NOSUID|unix.MS_NOEXEC|unix.MS_NODEV|unix.MS_RDONLY || sys.Data != "" {
		t.Errorf("/sys mount = %+v", sys)
	}
	p := c.Process
	want := uint64(1<<unix.CAP_AUDIT_WRITE | 1<<unix.CAP_KILL | 1<<unix.CAP_NET_BIND_SERVICE)
	if p.Capabilities.Bounding != want || p.Capabilities.Effective != want || p.Capabilities.Permitted != want ||
		p.Capabilities.Inheritable != 0 || p.Capabilities.Ambient != 0 {
		t.Errorf("caps = %+v", p.Capabilities)
	}
	if !reflect.DeepEqual(p.Rlimits, []configs.Rlimit{{Type: unix.RLIMIT_NOFILE, Soft: 1024, Hard: 1024}}) {
		t.Errorf("rlimits = %+v", p.Rlimits)
	}
	if !p.Terminal || !p.NoNewPrivileges || p.Cwd != "/" || p.Args[0] != "sh" || len(p.Env) != 2 {
		t.Errorf("process = %+v", p)
	}
	if c.Cgroups == nil || c.Cgroups.Name != "ctr" || c.Cgroups.Path != "" || c.Cgroups.Resources == nil {
		t.Fatalf("cgroups = %+v", c.Cgroups)
	}
	devs := c.Cgroups.Resources.Devices
	if len(devs) != 1+len(defaultDeviceRules) || devs[0].Allow || devs[0].Access != "rwm" || !devs[1].Allow {
		t.Errorf("device rules = %+v", devs)
	}
	if len(c.MaskPaths) != 10 || len(c.ReadonlyPaths) != 5 {
		t.Errorf("masked %v readonly %v", c.MaskPaths, c.ReadonlyPaths)
	}
	if c.Labels[len(c.Labels)-1] != "bundle="+b {
		t.Errorf("labels = %v", c.Labels)
	}
	if !c.HasNamespace(configs.NEWNS) || !c.HasNamespace(configs.NEWPID) || c.HasNamespace(configs.NEWUSER) {
		t.Errorf("namespaces = %v", c.Namespaces)
	}
}

func TestToConfigRootless(t *testing.T) {
	b := newBundle(t)
	s := Example()
	ToRootless(s)
	c, err := ToConfig(s, Options{Bundle: b, ID: "x", Rootless: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.UIDMappings) != 1 || c.UIDMappings[0].HostID != int64(os.Geteuid()) {
		t.Errorf("uid maps %+v", c.UIDMappings)
	}
	if m := c.Mounts[5]; !m.IsBind() || m.Source != "/sys" || m.Flags&unix.MS_REC == 0 {
		t.Errorf("/sys = %+v", m)
	}
}

// mutation cases: each starts from baseSpec in a fresh bundle and must fail
// with exactly want (a "~" prefix means: the error contains the rest).
type errCase struct {
	name string
	opts Options
	mut  func(s *specs.Spec, bundle string)
	want string
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			aa, se := appArmorEnabled, seLinuxEnabled
			defer func() { appArmorEnabled, seLinuxEnabled = aa, se }()
			b := newBundle(t)
			s := baseSpec()
			tc.mut(s, b)
			o := tc.opts
			o.Bundle = b
			_, err := ToConfig(s, o)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if w, ok := strings.CutPrefix(tc.want, "~"); ok {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			} else if err.Error() != tc.want {
				t.Fatalf("error\n got: %s\nwant: %s", err, tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) && !strings.HasPrefix(tc.want, "~") {
				t.Errorf("error is not a *FieldError")
			}
		})
	}
}

func TestToConfigErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{"no version", Options{}, func(s *specs.Spec, _ string) { s.Version = "" }, "ociVersion: must be set"},
		{"version 2", Options{}, func(s *specs.Spec, _ string) { s.Version = "2.0.0" },
			`ociVersion: unsupported version "2.0.0" (husk supports 1.x)`},
		{"version junk", Options{}, func(s *specs.Spec, _ string) { s.Version = "1.x" },
			`ociVersion: "1.x" is not a version (want 1.x.y)`},
		{"no root", Options{}, func(s *specs.Spec, _ string) { s.Root = nil }, "root: must be set"},
		{"empty root", Options{}, func(s *specs.Spec, _ string) { s.Root.Path = "" }, "root.path: must not be empty"},
		{"missing root", Options{}, func(s *specs.Spec, _ string) { s.Root.Path = "nope" },
			"~root.path: open /"},
		{"missing root errno", Options{}, func(s *specs.Spec, _ string) { s.Root.Path = "nope" },
			"~/nope: no such file or directory"},
		{"root is a file", Options{}, func(s *specs.Spec, b string) {
			os.WriteFile(filepath.Join(b, "f"), nil, 0o644)
			s.Root.Path = "f"
		}, "~/f is not a directory"},
		{"no process", Options{}, func(s *specs.Spec, _ string) { s.Process = nil }, "process: must be set"},
		{"no args", Options{}, func(s *specs.Spec, _ string) { s.Process.Args = nil }, "process.args: must not be empty"},
		{"empty arg0", Options{}, func(s *specs.Spec, _ string) { s.Process.Args = []string{""} }, "process.args[0]: must not be empty"},
		{"nul arg", Options{}, func(s *specs.Spec, _ string) { s.Process.Args = []string{"sh", "a\x00b"} },
			"process.args[1]: must not contain a NUL byte"},
		{"no cwd", Options{}, func(s *specs.Spec, _ string) { s.Process.Cwd = "" }, "process.cwd: must not be empty"},
		{"relative cwd", Options{}, func(s *specs.Spec, _ string) { s.Process.Cwd = "tmp" },
			`process.cwd: "tmp" is not an absolute path`},
		{"env no =", Options{}, func(s *specs.Spec, _ string) { s.Process.Env = []string{"A=1", "FOO"} },
			`process.env[1]: "FOO" is not of the form KEY=VALUE`},
		{"env empty name", Options{}, func(s *specs.Spec, _ string) { s.Process.Env = []string{"=x"} },
			`process.env[0]: "=x" has an empty name`},
		{"unknown cap", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_FOO")
		}, `process.capabilities.bounding: unknown capability "CAP_FOO"`},
		{"unknown ambient cap", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Capabilities.Ambient = []string{"cap_kill"}
		}, `process.capabilities.ambient: unknown capability "cap_kill"`},
		{"effective not permitted", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Capabilities.Effective = append(s.Process.Capabilities.Effective, "CAP_SYS_ADMIN")
		}, "process.capabilities.effective: CAP_SYS_ADMIN not in the permitted set"},
		{"unknown rlimit", Options{}, func(s *specs.Spec, _ string) { s.Process.Rlimits[0].Type = "RLIMIT_FOO" },
			`process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"`},
		{"duplicate rlimit", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 1, Hard: 1})
		}, "process.rlimits[1].type: duplicate of process.rlimits[0].type (RLIMIT_NOFILE)"},
		{"soft above hard", Options{}, func(s *specs.Spec, _ string) { s.Process.Rlimits[0].Soft = 2048 },
			"process.rlimits[0]: soft limit 2048 exceeds hard limit 1024"},
		{"umask", Options{}, func(s *specs.Spec, _ string) { s.Process.User.Umask = u32(0o1777) },
			"process.user.umask: 01777 is not a umask (at most 0777)"},
		{"oom", Options{}, func(s *specs.Spec, _ string) { v := 1001; s.Process.OOMScoreAdj = &v },
			"process.oomScoreAdj: 1001 is out of range [-1000, 1000]"},
		{"console size", Options{}, func(s *specs.Spec, _ string) { s.Process.ConsoleSize = &specs.Box{Height: 70000, Width: 80} },
			"process.consoleSize: 70000x80 does not fit a terminal (at most 65535)"},
		{"sched policy", Options{}, func(s *specs.Spec, _ string) { s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_FOO"} },
			`process.scheduler.policy: unknown policy "SCHED_FOO"`},
		{"sched no policy", Options{}, func(s *specs.Spec, _ string) { s.Process.Scheduler = &specs.Scheduler{} },
			"process.scheduler.policy: must be set"},
		{"sched nice", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Nice: 20}
		}, "process.scheduler.nice: 20 is out of range [-20, 19]"},
		{"sched prio other", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Priority: 3}
		}, "process.scheduler.priority: only valid with SCHED_FIFO or SCHED_RR"},
		{"sched prio fifo", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedFIFO}
		}, "process.scheduler.priority: 0 is out of range [1, 99] for SCHED_FIFO"},
		{"sched deadline", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedRR, Priority: 1, Runtime: 5}
		}, "process.scheduler: runtime, deadline and period are only valid with SCHED_DEADLINE"},
		{"sched flag", Options{}, func(s *specs.Spec, _ string) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedIdle, Flags: []specs.LinuxSchedulerFlag{"X"}}
		}, `process.scheduler.flags[0]: unknown flag "X"`},
		{"ioprio class", Options{}, func(s *specs.Spec, _ string) { s.Process.IOPriority = &specs.LinuxIOPriority{Class: "X"} },
			`process.ioPriority.class: unknown class "X"`},
		{"ioprio prio", Options{}, func(s *specs.Spec, _ string) {
			s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 8}
		}, "process.ioPriority.priority: 8 is out of range [0, 7]"},
		{"affinity", Options{}, func(s *specs.Spec, _ string) { s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "1-x"} },
			`process.execCPUAffinity.final: invalid CPU list "1-x": "x" is not a CPU number`},
		{"affinity reversed", Options{}, func(s *specs.Spec, _ string) { s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "3-1"} },
			`process.execCPUAffinity.initial: invalid CPU list "3-1": range "3-1" is reversed`},
		{"selinux", Options{}, func(s *specs.Spec, _ string) {
			seLinuxEnabled = func() bool { return false }
			s.Process.SelinuxLabel = "system_u:system_r:container_t:s0"
		}, "process.selinuxLabel: SELinux is not enabled on this host"},
		{"apparmor", Options{}, func(s *specs.Spec, _ string) {
			appArmorEnabled = func() bool { return false }
			s.Process.ApparmorProfile = "docker-default"
		}, "process.apparmorProfile: AppArmor is not enabled on this host"},
		{"mount label", Options{}, func(s *specs.Spec, _ string) {
			seLinuxEnabled = func() bool { return false }
			s.Linux.MountLabel = "system_u:object_r:container_file_t:s0"
		}, "linux.mountLabel: SELinux is not enabled on this host"},
		{"commandLine", Options{}, func(s *specs.Spec, _ string) { s.Process.CommandLine = "x" },
			"process.commandLine: not supported"},
		{"username", Options{}, func(s *specs.Spec, _ string) { s.Process.User.Username = "x" },
			"process.user.username: not supported"},

		// namespaces
		{"unknown ns", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "foo"})
		}, `linux.namespaces[5].type: unknown namespace type "foo"`},
		{"duplicate ns", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "pid"})
		}, `linux.namespaces[5].type: duplicate namespace type "pid"`},
		{"relative ns path", Options{}, func(s *specs.Spec, _ string) { s.Linux.Namespaces[1].Path = "net" },
			`linux.namespaces[1].path: "net" is not an absolute path`},
		{"missing ns path", Options{}, func(s *specs.Spec, _ string) { s.Linux.Namespaces[1].Path = "/proc/self/ns/nett" },
			"linux.namespaces[1].path: stat /proc/self/ns/nett: no such file or directory"},
		{"no mount ns", Options{}, func(s *specs.Spec, _ string) { s.Linux.Namespaces = s.Linux.Namespaces[:4] },
			`linux.maskedPaths: needs a mount namespace of its own (linux.namespaces has no "mount")`},
		{"no linux", Options{}, func(s *specs.Spec, _ string) { s.Linux = nil },
			"linux: must be set (runc requires it too)"},
		{"uid maps no userns", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "linux.uidMappings: requires a user namespace in linux.namespaces"},
		{"gid maps no userns", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "linux.gidMappings: requires a user namespace in linux.namespaces"},
		{"userns no maps", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
		}, "linux.uidMappings: required with a new user namespace"},
		{"userns no gid maps", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "linux.gidMappings: required with a new user namespace"},
		{"map size 0", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 0}}
		}, "linux.uidMappings[0].size: must not be 0"},
		{"map overflow", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 0xffffffff, Size: 2}}
		}, "linux.uidMappings[0]: hostID 4294967295 + size 2 overflows 32 bits"},
		{"map overlap", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 10}, {ContainerID: 5, HostID: 5000, Size: 1}}
		}, "linux.uidMappings[1]: container ids overlap with linux.uidMappings[0]"},
		{"user not mapped", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
			s.Process.User.UID = 5
		}, "process.user.uid: 5 is not mapped in the user namespace (linux.uidMappings)"},
		{"group not mapped", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
			s.Process.User.AdditionalGids = []uint32{0, 7}
		}, "process.user.additionalGids[1]: 7 is not mapped in the user namespace (linux.gidMappings)"},
		{"joined userns mismatch", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user", Path: "/proc/self/ns/user"})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
		}, "linux.uidMappings: do not match the mappings of the joined user namespace /proc/self/ns/user"},
		{"rootless no userns", Options{Rootless: true}, func(s *specs.Spec, _ string) {},
			"linux.namespaces: a rootless container requires a user namespace"},
		{"time offsets no ns", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "linux.timeOffsets: requires a time namespace in linux.namespaces"},
		{"time offsets joined", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "time", Path: "/proc/self/ns/time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
		}, "linux.timeOffsets: cannot be applied to a joined time namespace (linux.namespaces[5].path)"},
		{"time offsets clock", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"realtime": {Secs: 1}}
		}, `linux.timeOffsets["realtime"]: unknown clock (want "monotonic" or "boottime")`},
		{"time offsets ns", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Nanosecs: 1e9}}
		}, `linux.timeOffsets["boottime"].nanosecs: 1000000000 is not less than 1000000000`},

		// uts
		{"hostname no uts", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: "mount"}}
		}, "hostname: requires a uts namespace in linux.namespaces"},
		{"domainname no uts", Options{}, func(s *specs.Spec, _ string) {
			s.Hostname = ""
			s.Domainname = "example.org"
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: "mount"}}
		}, "domainname: requires a uts namespace in linux.namespaces"},
		{"hostname long", Options{}, func(s *specs.Spec, _ string) { s.Hostname = strings.Repeat("h", 65) },
			"hostname: longer than 64 bytes"},

		// linux misc
		{"rootfs propagation", Options{}, func(s *specs.Spec, _ string) { s.Linux.RootfsPropagation = "foo" },
			`linux.rootfsPropagation: unknown propagation "foo"`},
		{"rootfs propagation no-pivot", Options{NoPivotRoot: true}, func(s *specs.Spec, _ string) {
			s.Linux.RootfsPropagation = "rprivate"
		}, `linux.rootfsPropagation: "rprivate" is not safe without pivot_root (--no-pivot)`},
		{"memoryPolicy mode", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_X"}
		}, `linux.memoryPolicy.mode: unknown mode "MPOL_X"`},
		{"memoryPolicy nodes", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave}
		}, "linux.memoryPolicy.nodes: required for MPOL_INTERLEAVE"},
		{"memoryPolicy flags", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0",
				Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes, specs.MpolFRelativeNodes}}
		}, "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be combined"},
		{"personality", Options{}, func(s *specs.Spec, _ string) { s.Linux.Personality = &specs.LinuxPersonality{Domain: "X"} },
			`linux.personality.domain: unknown domain "X" (want LINUX or LINUX32)`},
		{"masked relative", Options{}, func(s *specs.Spec, _ string) { s.Linux.MaskedPaths = []string{"/a", "proc/kcore"} },
			`linux.maskedPaths[1]: "proc/kcore" is not an absolute path`},
		{"readonly empty", Options{}, func(s *specs.Spec, _ string) { s.Linux.ReadonlyPaths = []string{""} },
			"linux.readonlyPaths[0]: must not be empty"},
		{"cgroups path systemd", Options{SystemdCgroup: true}, func(s *specs.Spec, _ string) { s.Linux.CgroupsPath = "/a/b" },
			`linux.cgroupsPath: "/a/b" is not of the form "slice:prefix:name" required by the systemd cgroup driver`},
		{"device rule type", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Type: "x", Access: "r"})
		}, `linux.resources.devices[1].type: unknown device type "x" (want a, b or c)`},
		{"device rule access", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Type: "c"})
		}, "linux.resources.devices[1].access: must not be empty"},
		{"device rule access letters", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Type: "c", Access: "rx"})
		}, `linux.resources.devices[1].access: "rx" has letters other than r, w and m`},
		{"seccomp empty default", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{Architectures: []specs.Arch{specs.ArchX86_64}}
		}, "linux.seccomp.defaultAction: must be set"},

		// hooks
		{"hook relative", Options{}, func(s *specs.Spec, _ string) {
			s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true"}, {Path: "true"}}}
		}, `hooks.poststop[1].path: "true" is not an absolute path`},
		{"hook timeout", Options{}, func(s *specs.Spec, _ string) {
			z := 0
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true", Timeout: &z}}}
		}, "hooks.createRuntime[0].timeout: 0 is not greater than zero"},
		{"hook env nul", Options{}, func(s *specs.Spec, _ string) {
			s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/true", Env: []string{"A=\x00"}}}}
		}, "hooks.prestart[0].env[0]: must not contain a NUL byte"},

		// unsupported
		{"intelRdt", Options{}, func(s *specs.Spec, _ string) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{} },
			"linux.intelRdt: not supported"},
		{"netDevices host name", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth/1": {}}
		}, `linux.netDevices["eth/1"]: invalid host device name: contains '/', ':' or white space`},
		{"netDevices name", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "a-very-long-interface"}}
		}, `linux.netDevices["eth1"].name: invalid device name "a-very-long-interface": longer than 15 bytes (IFNAMSIZ)`},
		{"netDevices template", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "e%s"}}
		}, `linux.netDevices["eth1"].name: invalid device name "e%s": '%' is only allowed as one "%d" template`},
		{"netDevices same name", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {Name: "eth0"}, "eth2": {Name: "eth0"}}
		}, `linux.netDevices["eth2"].name: "eth0" is also the name of "eth1" in the container`},
		{"netDevices host netns", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"eth1": {}}
			var ns []specs.LinuxNamespace
			for _, n := range s.Linux.Namespaces {
				if n.Type != specs.NetworkNamespace {
					ns = append(ns, n)
				}
			}
			s.Linux.Namespaces = ns
		}, "linux.netDevices: needs a network namespace (linux.namespaces has no network entry)"},
		{"personality flags", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux, Flags: []specs.LinuxPersonalityFlag{"X"}}
		}, "linux.personality.flags: not supported"},
		{"windows", Options{}, func(s *specs.Spec, _ string) { s.Windows = &specs.Windows{} }, "windows: not supported"},
		{"solaris", Options{}, func(s *specs.Spec, _ string) { s.Solaris = &specs.Solaris{} }, "solaris: not supported"},
		{"vm", Options{}, func(s *specs.Spec, _ string) { s.VM = &specs.VM{} }, "vm: not supported"},
	})
}

func TestUnsupportedIsErrNotSupported(t *testing.T) {
	s := baseSpec()
	s.Linux.IntelRdt = &specs.LinuxIntelRdt{}
	_, err := ToConfig(s, Options{Bundle: newBundle(t)})
	if !errors.Is(err, ErrNotSupported) {
		t.Fatalf("%v is not ErrNotSupported", err)
	}
}

func TestToConfigDetails(t *testing.T) {
	b := newBundle(t)
	s := baseSpec()
	s.Annotations = map[string]string{"b": "2", "a": "1"}
	s.Process.Env = []string{"A=1", "B=2", "A=3"}
	s.Process.ConsoleSize = &specs.Box{Height: 24, Width: 80}
	s.Linux.RootfsPropagation = "rshared"
	s.Linux.CgroupsPath = "/a/../../b/./c"
	s.Linux.Sysctl = map[string]string{"net/ipv4/conf/eth0.100/rp_filter": "1", "kernel.shmmax": "1",
		"net.ipv4.conf.eth1/7.rp_filter": "2"}
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/null", Type: "u", Major: 1, Minor: 3, FileMode: (*os.FileMode)(u32(0o20600))}}
	z := 5
	s.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/true", Timeout: &z}}}
	s.Linux.Seccomp = &specs.LinuxSeccomp{}
	c, err := ToConfig(s, Options{Bundle: b, ID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Process.Env, []string{"A=3", "B=2"}) {
		t.Errorf("env = %v", c.Process.Env)
	}
	if c.Process.ConsoleHeight != 24 || c.Process.ConsoleWidth != 80 {
		t.Errorf("console %dx%d", c.Process.ConsoleHeight, c.Process.ConsoleWidth)
	}
	if c.RootPropagation != unix.MS_SHARED|unix.MS_REC {
		t.Errorf("propagation %#x", c.RootPropagation)
	}
	if c.Cgroups.Path != "/b/c" {
		t.Errorf("cgroups path %q", c.Cgroups.Path)
	}
	if !reflect.DeepEqual(c.Sysctl, map[string]string{"net/ipv4/conf/eth0.100/rp_filter": "1", "kernel.shmmax": "1",
		"net/ipv4/conf/eth1.7/rp_filter": "2"}) {
		t.Errorf("sysctl %v", c.Sysctl)
	}
	if d := c.Devices[0]; d.Type != 'c' || d.FileMode != 0o600 || d.Path != "/dev/null" {
		t.Errorf("device %+v", d)
	}
	for _, r := range c.Cgroups.Resources.Devices {
		if r.Major != nil && r.Minor != nil && *r.Major == 1 && *r.Minor == 3 {
			t.Errorf("default /dev/null rule kept although linux.devices has /dev/null")
		}
	}
	if len(c.Hooks[configs.Poststart]) != 1 || c.Hooks[configs.Poststart][0].Timeout != 5 {
		t.Errorf("hooks %+v", c.Hooks)
	}
	if c.Seccomp != nil {
		t.Errorf("empty seccomp kept")
	}
	if !reflect.DeepEqual(c.Labels, []string{"a=1", "b=2", "bundle=" + b}) {
		t.Errorf("labels %v", c.Labels)
	}
	// The spec's resources are not modified.
	if len(s.Linux.Resources.Devices) != 1 {
		t.Errorf("spec resources modified")
	}
}

func TestJoinedUserNamespace(t *testing.T) {
	s := baseSpec()
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user", Path: "/proc/self/ns/user"})
	c, err := ToConfig(s, Options{Bundle: newBundle(t)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := readIDMapFile("/proc/self/uid_map")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.UIDMappings, want) || len(c.GIDMappings) == 0 {
		t.Fatalf("uid maps %+v, want %+v", c.UIDMappings, want)
	}
	// Matching mappings are accepted; found through a process scan too.
	dir, err := procDirOfNamespace("/proc/thread-self/ns/user")
	if err != nil || dir != "/proc/thread-self" {
		t.Fatalf("procDirOfNamespace = %q, %v", dir, err)
	}
	link := filepath.Join(t.TempDir(), "userns")
	if err := os.Symlink("/proc/self/ns/user", link); err != nil {
		t.Fatal(err)
	}
	if dir, err := procDirOfNamespace(link); err != nil || dir == "" {
		t.Fatalf("procDirOfNamespace(symlink) = %q, %v", dir, err)
	}
}

func TestSysctl(t *testing.T) {
	ns := func(types ...string) []specs.LinuxNamespace {
		out := []specs.LinuxNamespace{{Type: "mount"}}
		for _, t := range types {
			out = append(out, specs.LinuxNamespace{Type: specs.LinuxNamespaceType(t)})
		}
		return out
	}
	for _, tc := range []struct {
		key  string
		ns   []specs.LinuxNamespace
		want string // "" = accepted
	}{
		{"kernel.shmmax", ns("ipc"), ""},
		{"fs.mqueue.queues_max", ns("ipc"), ""},
		{"kernel.msgmax", ns(), `linux.sysctl["kernel.msgmax"]: requires an ipc namespace in linux.namespaces`},
		{"net.ipv4.ip_forward", ns("network"), ""},
		{"net/ipv4/ip_forward", ns("network"), ""},
		{"net.ipv4.ip_forward", ns(), `linux.sysctl["net.ipv4.ip_forward"]: not allowed in the host's network namespace`},
		{"net.ipv4.ip_forward", append(ns(), specs.LinuxNamespace{Type: "network", Path: "/proc/self/ns/net"}),
			`linux.sysctl["net.ipv4.ip_forward"]: not allowed in the host's network namespace`},
		{"kernel.domainname", ns("uts"), ""},
		{"kernel.domainname", ns(), `linux.sysctl["kernel.domainname"]: not in a separate kernel namespace`},
		{"kernel.hostname", ns("uts"), `linux.sysctl["kernel.hostname"]: conflicts with the hostname field`},
		{"user.max_user_namespaces", ns("user"), ""},
		{"user.max_user_namespaces", ns(), `linux.sysctl["user.max_user_namespaces"]: requires a user namespace in linux.namespaces`},
		{"vm.swappiness", ns("ipc", "network", "uts"), `linux.sysctl["vm.swappiness"]: not in a separate kernel namespace`},
		{"net..x", ns("network"), `linux.sysctl["net..x"]: malformed sysctl name`},
		{"net/ipv4/../x", ns("network"), `linux.sysctl["net/ipv4/../x"]: malformed sysctl name`},
	} {
		s := baseSpec()
		s.Hostname = ""
		s.Linux.Namespaces = tc.ns
		if tc.key == "user.max_user_namespaces" && len(tc.ns) > 1 {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{Size: 1}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{Size: 1}}
		}
		s.Linux.Sysctl = map[string]string{tc.key: "1"}
		_, err := ToConfig(s, Options{Bundle: newBundle(t)})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s with %v:\n got: %s\nwant: %s", tc.key, tc.ns, got, tc.want)
		}
	}
	s := baseSpec()
	s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "net/ipv4/ip_forward": "0"}
	_, err := ToConfig(s, Options{Bundle: newBundle(t)})
	if err == nil || err.Error() != `linux.sysctl["net/ipv4/ip_forward"]: same sysctl as linux.sysctl["net.ipv4.ip_forward"]` {
		t.Errorf("duplicate sysctl: %v", err)
	}
}

// On a host with SELinux, linux.mountLabel becomes the context= option of
// the new filesystems (not of binds, proc, sysfs, mqueue, cgroup).
func TestMountLabel(t *testing.T) {
	se := seLinuxEnabled
	defer func() { seLinuxEnabled = se }()
	seLinuxEnabled = func() bool { return true }
	b := newBundle(t)
	s := baseSpec()
	s.Linux.MountLabel = "system_u:object_r:container_file_t:s0"
	s.Mounts = []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"mode=755"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts"},
		{Destination: "/mnt", Type: "bind", Source: b, Options: []string{"rbind"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue"},
	}
	c, err := ToConfig(s, Options{Bundle: b})
	if err != nil {
		t.Fatal(err)
	}
	ctx := `context="system_u:object_r:container_file_t:s0"`
	want := []string{"", "mode=755," + ctx, ctx, "", ""}
	for i, m := range c.Mounts {
		if m.Data != want[i] {
			t.Errorf("mounts[%d] (%s): data %q, want %q", i, m.Destination, m.Data, want[i])
		}
	}
}
