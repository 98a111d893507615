package planner

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/initplan"
)

func baseConfig() *configs.Config {
	return &configs.Config{
		Rootfs: "/bundle/rootfs",
		Namespaces: []configs.Namespace{
			{Type: configs.NEWPID}, {Type: configs.NEWNET}, {Type: configs.NEWIPC},
			{Type: configs.NEWUTS}, {Type: configs.NEWNS},
		},
		Hostname: "h",
		Mounts: []*configs.Mount{
			{Source: "proc", Destination: "/proc", Device: "proc"},
			{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID, Data: "mode=755"},
		},
		MaskPaths:     []string{"/proc/kcore"},
		ReadonlyPaths: []string{"/proc/sys"},
		Readonlyfs:    true,
		Process: &configs.Process{
			Args: []string{"sh"}, Env: []string{"PATH=/bin"}, Cwd: "/",
			Capabilities: &configs.Capabilities{Bounding: 1, Effective: 1, Permitted: 1},
		},
	}
}

// opNames decodes a built plan into its op names.
func opNames(t *testing.T, r *Result) []string {
	t.Helper()
	b, err := r.Plan.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	ops, err := initplan.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = op.Name()
	}
	return names
}

// assertOrder checks that want appears in names in this relative order.
func assertOrder(t *testing.T, names []string, want ...string) {
	t.Helper()
	i := 0
	for _, n := range names {
		if i < len(want) && n == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("ops %v: missing %q in order %v", names, want[i], want)
	}
}

func TestCreatePlanOrder(t *testing.T) {
	r, err := Build(baseConfig(), &Options{Mode: ModeCreate, FifoFd: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Forks {
		t.Fatal("all-new namespaces must not fork")
	}
	want := uintptr(unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWNS)
	if r.Cloneflags != want {
		t.Fatalf("cloneflags %#x, want %#x", r.Cloneflags, want)
	}
	names := opNames(t, r)
	assertOrder(t, names, "setsid", "prepare-root", "mount", "mount", "mknod", "symlink", "pivot-root",
		"remount", "hostname", "readonly", "mask", "close-fds", "cap-bounding", "user", "caps",
		"umask", "lookup", "ready", "wait-start", "exec")
	for _, n := range names {
		if n == "sync-hooks" || n == "fork" {
			t.Fatalf("unexpected %s in %v", n, names)
		}
	}
}

func TestRunPlanHasNoFifo(t *testing.T) {
	r, err := Build(baseConfig(), &Options{Mode: ModeRun})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(opNames(t, r), " "), "wait-start") {
		t.Fatal("run must not wait for start")
	}
}

func TestJoinedUserNamespaceTakesSlowPath(t *testing.T) {
	cfg := baseConfig()
	cfg.Namespaces = append(cfg.Namespaces, configs.Namespace{Type: configs.NEWUSER, Path: "/proc/1/ns/user"})
	r, err := Build(cfg, &Options{Mode: ModeRun})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Forks || r.Cloneflags != 0 {
		t.Fatalf("forks=%v cloneflags=%#x", r.Forks, r.Cloneflags)
	}
	names := opNames(t, r)
	assertOrder(t, names, "setns", "unshare", "fork", "setsid", "prepare-root")
}

func TestNewUserWithJoinedNetUnsharesAfterJoin(t *testing.T) {
	cfg := baseConfig()
	cfg.Namespaces = []configs.Namespace{{Type: configs.NEWUSER}, {Type: configs.NEWNS}, {Type: configs.NEWPID},
		{Type: configs.NEWNET, Path: "/run/netns/x"}}
	cfg.UIDMappings = []configs.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}
	r, err := Build(cfg, &Options{Mode: ModeRun})
	if err != nil {
		t.Fatal(err)
	}
	assertOrder(t, opNames(t, r), "setns", "unshare", "userns-sync", "user", "unshare", "fork")
}

func TestNewUserAtClone(t *testing.T) {
	cfg := baseConfig()
	cfg.Namespaces = append(cfg.Namespaces, configs.Namespace{Type: configs.NEWUSER}, configs.Namespace{Type: configs.NEWCGROUP})
	cfg.UIDMappings = []configs.IDMap{{ContainerID: 0, HostID: 1000, Size: 65536}}
	cfg.GIDMappings = cfg.UIDMappings
	r, err := Build(cfg, &Options{Mode: ModeRun, HostDevices: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Cloneflags&unix.CLONE_NEWUSER == 0 || r.Cloneflags&unix.CLONE_NEWCGROUP != 0 {
		t.Fatalf("cloneflags %#x: want user at clone, cgroup unshared later", r.Cloneflags)
	}
	if len(r.UidMappings) != 1 || r.UidMappings[0].HostID != 1000 {
		t.Fatalf("uid mappings %+v", r.UidMappings)
	}
	names := opNames(t, r)
	assertOrder(t, names, "unshare", "prepare-root", "bind-dev")
	for _, n := range names {
		if n == "mknod" {
			t.Fatal("mknod inside a user namespace")
		}
	}
}

func TestTimeNamespaceForks(t *testing.T) {
	cfg := baseConfig()
	cfg.Namespaces = append(cfg.Namespaces, configs.Namespace{Type: configs.NEWTIME})
	cfg.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}}
	r, err := Build(cfg, &Options{Mode: ModeRun})
	if err != nil {
		t.Fatal(err)
	}
	assertOrder(t, opNames(t, r), "unshare", "timens-offsets", "fork")
	if got := timeOffsets(cfg); got != "monotonic 10 0\n" {
		t.Fatalf("offsets %q", got)
	}
}

func TestHooksSyncOnlyWithHooks(t *testing.T) {
	cfg := baseConfig()
	cfg.Hooks = configs.Hooks{configs.CreateContainer: {{Path: "/bin/true"}}, configs.StartContainer: {{Path: "/bin/true"}}}
	r, err := Build(cfg, &Options{Mode: ModeCreate, Hooks: cfg.Hooks})
	if err != nil {
		t.Fatal(err)
	}
	assertOrder(t, opNames(t, r), "sync-hooks", "hook", "pivot-root", "ready", "wait-start", "hook", "exec")
}

func TestExecPlanJoinsUserFirstAndForks(t *testing.T) {
	cfg := baseConfig()
	r, err := Build(cfg, &Options{Mode: ModeExec, Process: cfg.Process, NsPaths: []NsPath{
		{Type: configs.NEWNS, Path: "/proc/9/ns/mnt"}, {Type: configs.NEWPID, Path: "/proc/9/ns/pid"},
		{Type: configs.NEWUSER, Path: "/proc/9/ns/user"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.Plan.Bytes()
	ops, _ := initplan.Decode(b)
	if ops[0].Str(1) != "/proc/9/ns/user" || ops[1].Str(1) != "/proc/9/ns/mnt" || ops[2].Str(1) != "/proc/9/ns/pid" {
		t.Fatalf("join order:\n%s", initplan.String(ops))
	}
	names := opNames(t, r)
	assertOrder(t, names, "setns", "setns", "setns", "fork", "setsid", "user", "lookup", "ready", "exec")
	for _, n := range names {
		if n == "prepare-root" || n == "wait-start" || n == "keyring" {
			t.Fatalf("exec plan has %s", n)
		}
	}
}

func TestBindSourceMissing(t *testing.T) {
	cfg := baseConfig()
	cfg.Mounts = append(cfg.Mounts, &configs.Mount{Source: "/nonexistent/src", Destination: "/mnt", Device: "bind", Flags: unix.MS_BIND})
	_, err := Build(cfg, &Options{Mode: ModeRun})
	if err == nil || !strings.Contains(err.Error(), "mounts[2]") || !strings.Contains(err.Error(), "/nonexistent/src") {
		t.Fatalf("err = %v", err)
	}
}

// A late cgroup join makes the plan wait for it before the process
// set-up; not with a new cgroup namespace (unshared right away, rooted at
// the cgroup the init is in) nor when the payload is forked.
func TestLateCgroupJoin(t *testing.T) {
	has := func(names []string, n string) bool {
		for _, x := range names {
			if x == n {
				return true
			}
		}
		return false
	}
	r, err := Build(baseConfig(), &Options{Mode: ModeRun, LateCgroupJoin: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.CgroupSync {
		t.Fatal("LateCgroupJoin not applied to the default config")
	}
	assertOrder(t, opNames(t, r), "pivot-root", "cgroup-sync", "ready", "exec")
	if r, _ := Build(baseConfig(), &Options{Mode: ModeRun}); r.CgroupSync || has(opNames(t, r), "cgroup-sync") {
		t.Error("cgroup-sync without LateCgroupJoin")
	}
	for name, mut := range map[string]func(*configs.Config){
		"cgroupns": func(c *configs.Config) {
			c.Namespaces = append(c.Namespaces, configs.Namespace{Type: configs.NEWCGROUP})
		},
		"forks": func(c *configs.Config) {
			c.Namespaces = append(c.Namespaces, configs.Namespace{Type: configs.NEWTIME})
		},
	} {
		cfg := baseConfig()
		mut(cfg)
		r, err := Build(cfg, &Options{Mode: ModeRun, LateCgroupJoin: true})
		if err != nil {
			t.Fatal(err)
		}
		if r.CgroupSync || has(opNames(t, r), "cgroup-sync") {
			t.Errorf("%s: late cgroup join applied", name)
		}
	}
}

// With CgroupTasks the init joins its v1 cgroups itself, right after
// execCPUAffinity.initial and before anything else (a cgroup namespace is
// then rooted there), for the container's init and for exec; the late
// join is not planned then.
func TestCgroupSelfJoin(t *testing.T) {
	tasks := []CgroupTask{{Fd: 5, Path: "/sys/fs/cgroup/pids/c1/tasks"}, {Fd: 6, Path: "/sys/fs/cgroup/memory/c1/tasks"}}
	cfg := baseConfig()
	cfg.Namespaces = append(cfg.Namespaces, configs.Namespace{Type: configs.NEWCGROUP})
	cfg.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0", Final: "0"}
	for _, mode := range []Mode{ModeRun, ModeCreate, ModeExec} {
		r, err := Build(cfg, &Options{Mode: mode, CgroupTasks: tasks, LateCgroupJoin: true, FifoFd: 3})
		if err != nil {
			t.Fatal(err)
		}
		names := opNames(t, r)
		if len(names) < 3 || names[0] != "affinity" || names[1] != "cgroup-join" || names[2] != "cgroup-join" {
			t.Errorf("mode %d: ops %v, want affinity, cgroup-join x2 first", mode, names)
		}
		if r.CgroupSync {
			t.Errorf("mode %d: late cgroup join planned beside the self-join", mode)
		}
		if mode != ModeExec {
			assertOrder(t, names, "cgroup-join", "unshare", "exec")
		}
		b, _ := r.Plan.Bytes()
		ops, _ := initplan.Decode(b)
		if ops[2].Args[0].Int != 6 || string(ops[2].Args[1].Bytes) != "/sys/fs/cgroup/memory/c1/tasks\x00" {
			t.Errorf("mode %d: second join op %+v", mode, ops[2])
		}
	}
}

// LSM labels are written through OpLabel before any seccomp filter and
// the capability drop, and take effect at exec.
func TestLSMLabels(t *testing.T) {
	cfg := baseConfig()
	cfg.Process.ApparmorProfile = "husk-test"
	cfg.Process.SelinuxLabel = "system_u:system_r:container_t:s0"
	r, err := Build(cfg, &Options{Mode: ModeRun, ID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.Plan.Bytes()
	ops, err := initplan.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, op := range ops {
		if op.Code == initplan.OpLabel {
			labels = append(labels, op.Str(0)+"="+op.Str(1))
		}
	}
	want := []string{"keycreate=system_u:system_r:container_t:s0", "apparmor/exec=exec husk-test", "exec=system_u:system_r:container_t:s0"}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Fatalf("labels %q, want %q", labels, want)
	}
	assertOrder(t, opNames(t, r), "label", "keyring", "label", "label", "close-fds", "caps", "exec")
}

// An idmapped mount is attached from the detached mount the caller made:
// its fd is OpMount's arg 9 (-1 for the others); without one, an error
// naming the mount.
func TestIdmappedMount(t *testing.T) {
	cfg := baseConfig()
	maps := []configs.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}
	cfg.Mounts = append(cfg.Mounts,
		&configs.Mount{Source: "/src", Destination: "/data", Device: "bind", Flags: unix.MS_BIND | unix.MS_REC,
			UIDMappings: maps, GIDMappings: maps, IDMapRecursive: true},
		&configs.Mount{Source: "tmpfs", Destination: "/t", Device: "tmpfs", UIDMappings: maps, GIDMappings: maps})
	cfg.Mounts[2].Source = t.TempDir()
	_, err := Build(cfg, &Options{Mode: ModeCreate, FifoFd: 3, IDMapFds: map[int]int{2: 4}})
	if err == nil || err.Error() != "mounts[3] (/t): idmapped mount: no detached mount was made for it" {
		t.Fatalf("error %v", err)
	}
	ops := buildOps(t, cfg, &Options{Mode: ModeCreate, FifoFd: 3, IDMapFds: map[int]int{2: 4, 3: 5}})
	got := map[string][2]int64{}
	for _, op := range ops {
		if op.Code == initplan.OpMount {
			got[op.Str(1)] = [2]int64{op.Args[9].Int, op.Args[10].Int}
		}
	}
	want := map[string][2]int64{
		"/proc": {-1, 0}, "/dev": {-1, 0},
		"/data": {4, int64(initplan.MountOptIDMapRec)}, "/t": {5, 0},
	}
	for d, w := range want {
		if got[d] != w {
			t.Errorf("%s: tree fd, opts %v, want %v", d, got[d], w)
		}
	}
}

// A read-only "cgroup" mount is remounted after pivot_root. Without a
// cgroup of the container's own (rootless), the mount there is not
// husk's, and its atime (locked in a user namespace) is not touched.
func TestCgroupMountRemountFlags(t *testing.T) {
	remount := func(o *Options) int64 {
		cfg := baseConfig()
		cfg.Mounts = append(cfg.Mounts, &configs.Mount{Source: "cgroup", Destination: "/sys/fs/cgroup", Device: "cgroup",
			Flags: unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RELATIME})
		o.Mode, o.FifoFd = ModeCreate, 3
		ops := buildOps(t, cfg, o)
		for _, op := range ops {
			if op.Code == initplan.OpRemount && op.Str(0) == "/sys/fs/cgroup" {
				return op.Args[1].Int
			}
		}
		t.Fatal("no remount of /sys/fs/cgroup")
		return 0
	}
	want := int64(unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if got := remount(&Options{}); got != want {
		t.Errorf("no cgroup: remount flags %#x, want %#x", got, want)
	}
	v1 := func(bool) []CgroupMount {
		return []CgroupMount{{Source: "tmpfs", FSType: "tmpfs", Data: "mode=755"},
			{Source: "/sys/fs/cgroup/memory/c", Dest: "memory", FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC}}
	}
	if got := remount(&Options{CgroupMounts: v1}); got != want|unix.MS_RELATIME {
		t.Errorf("v1 hierarchies: remount flags %#x, want %#x", got, want|unix.MS_RELATIME)
	}
}

// linux.memoryPolicy: mode|flags and the node mask in unsigned longs.
func TestMemPolicyOp(t *testing.T) {
	cfg := baseConfig()
	cfg.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0,65-66",
		Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}
	ops := buildOps(t, cfg, &Options{Mode: ModeCreate, FifoFd: 3})
	for _, op := range ops {
		if op.Code != initplan.OpMemPolicy {
			continue
		}
		if op.Args[0].Int != 3|1<<15 {
			t.Errorf("mode %#x, want MPOL_INTERLEAVE|MPOL_F_STATIC_NODES", op.Args[0].Int)
		}
		want := []byte{1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0}
		if string(op.Args[1].Bytes) != string(want) {
			t.Errorf("node mask %v, want %v", op.Args[1].Bytes, want)
		}
		return
	}
	t.Fatal("no mempolicy op")
}

// buildOps builds a plan and decodes it back into its ops.
func buildOps(t *testing.T, cfg *configs.Config, o *Options) []initplan.Op {
	t.Helper()
	r, err := Build(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Plan.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	ops, err := initplan.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}
