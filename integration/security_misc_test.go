package integration

// Escape tests: bootstrap overflow and the crun-class bugs seen on this
// machine (see security_test.go).

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// leftovers lists what a failed create/run of id left: its state, its
// cgroups, mounts under the test's dir, processes with the test's marker.
func (e *env) leftovers(id string) []string {
	var l []string
	if _, err := os.Lstat(filepath.Join(e.root, id)); err == nil {
		l = append(l, "state "+filepath.Join(e.root, id))
	}
	for _, h := range cgroupHierarchies() {
		for _, d := range []string{filepath.Join(h.Mount, h.Self, id), filepath.Join(h.Mount, id)} {
			if _, err := os.Stat(d); err == nil {
				l = append(l, "cgroup "+d)
			}
		}
	}
	for _, m := range mountsUnder(e.dir) {
		l = append(l, "mount "+m)
	}
	time.Sleep(20 * time.Millisecond)
	for _, p := range markedProcs(e.marker) {
		l = append(l, fmt.Sprintf("process %d (%s)", p, procCmdline(p)))
	}
	return l
}

// mustFailClean runs `run` of the bundle, expects a failure naming want,
// and nothing left behind right after it.
func (e *env) mustFailClean(b *bundle, want ...string) result {
	e.t.Helper()
	id := e.id()
	r := e.mustFail(want, "run", "--bundle", b.Dir, id)
	e.t.Logf("%s", strings.TrimSpace(r.Stderr))
	if l := e.leftovers(id); len(l) > 0 {
		e.t.Errorf("failed run left behind: %v\n%s", l, r)
	}
	return r
}

func idMaps(n int, base uint32) []specs.LinuxIDMapping {
	m := make([]specs.LinuxIDMapping, n)
	for i := range m {
		m[i] = specs.LinuxIDMapping{ContainerID: uint32(i), HostID: base + uint32(i), Size: 1}
	}
	return m
}

// CVE-2021-43784: runc's bootstrap message stored lengths in 16 bits; an
// oversized uid map or namespace path was truncated and its tail parsed as
// further (attacker-chosen) fields. husk's init plan has 32-bit lengths, a
// 4 MiB limit checked by both sides, and refuses NUL bytes in strings. A
// map of the kernel's maximum (340 extents) arrives whole; more is a clean
// error; an oversized path or environment is a clean error; strings with
// NUL bytes (a field boundary inside a string) are refused naming the field.
// Nothing is left behind by any of the failures.
func TestEscapeBootstrapOverflow(t *testing.T) {
	e := newEnv(t)
	userns := func(n int) func(*specs.Spec) {
		return func(s *specs.Spec) {
			withNamespace(specs.UserNamespace, "")(s)
			s.Linux.UIDMappings = idMaps(n, 1000)
			s.Linux.GIDMappings = idMaps(n, 1000)
		}
	}
	// 340 one-id extents, the most the kernel takes: all of them arrive.
	out := e.output(userns(340), sh("wc -l < /proc/self/uid_map; wc -l < /proc/self/gid_map; tail -n1 /proc/self/uid_map"))
	if f := strings.Fields(out); len(f) != 5 || f[0] != "340" || f[1] != "340" || f[2] != "339" || f[3] != "1339" {
		t.Errorf("340-extent id maps inside: %q, want 340 lines each, the last 339 1339 1", out)
	}
	e.mustFailClean(e.bundle(userns(341)), "uid")
	e.mustFailClean(e.bundle(userns(5000)), "uid")

	// 70000 bytes: 16 bits of length would cut it to its first 4464 bytes
	long := "/proc/self/ns/" + strings.Repeat("n", 70000)
	e.mustFailClean(e.bundle(withNamespace(specs.NetworkNamespace, long)), "namespaces")
	e.mustFailClean(e.bundle(func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "BIG="+strings.Repeat("x", 5<<20)) }), "limit")

	for field, mut := range map[string]func(*specs.Spec){
		"hostname":     func(s *specs.Spec) { s.Hostname = "a\x00b" },
		"process.args": func(s *specs.Spec) { s.Process.Args = []string{"true", "a\x00b"} },
		"process.env":  func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "A=b\x00c") },
		"process.cwd":  func(s *specs.Spec) { s.Process.Cwd = "/tmp\x00/x" },
		"mounts": func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt/a\x00x", Type: "tmpfs", Source: "tmpfs"})
		},
		"namespaces":        withNamespace(specs.NetworkNamespace, "/proc/1/ns/net\x00x"),
		"sysctl":            func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.domainname": "a\x00b"} },
		"linux.maskedPaths": func(s *specs.Spec) { s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/etc\x00x") },
	} {
		r := e.mustFailClean(e.bundle(mut), "NUL")
		if !strings.Contains(r.Stderr, strings.Split(field, ".")[0]) && !strings.Contains(r.Stderr, field) {
			t.Errorf("%s with a NUL byte: error does not name the field: %s", field, r)
		}
	}
}

// crun bug seen on this machine: `exec --user` chowned the host's
// /dev/null (the exec's stdio) to the user. husk never changes the owner or
// mode of a stdio it was given: run and exec as user 1000, with /dev/null
// (opened by the caller) on stdin, stdout and stderr, and with a tty.
func TestEscapeCrunDevNullOwner(t *testing.T) {
	guardHost(t)
	e := newEnv(t)
	withNull := func(args ...string) result {
		c := e.cmd(args...)
		f, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c.Stdin, c.Stdout, c.Stderr = f, f, f
		return e.run(c)
	}
	user := func(s *specs.Spec) { s.Process.User = specs.User{UID: 1000, GID: 1000} }
	if r := withNull("run", "--bundle", e.bundle(user, sh("ls -l /proc/self/fd/ >/dev/null")).Dir, e.id()); r.Code != 0 {
		t.Errorf("run as 1000 with /dev/null stdio: %s", r)
	}
	id := e.running()
	for _, a := range [][]string{
		{"exec", "--user", "1000", id, "true"},
		{"exec", "--user", "1000:1000", id, "true"},
		{"exec", "-d", "--user", "1000:1000", id, "true"},
	} {
		if r := withNull(a...); r.Code != 0 {
			t.Errorf("%v with /dev/null stdio: %s", a, r)
		}
	}
	cs := e.consoleSocket()
	e.mustHusk("exec", "-t", "-d", "--console-socket", cs.Path, "--user", "1000:1000", id, "true")
	readTTY(cs.master(t)).wait(t)
}

// crun bug seen on this machine: a container whose cgroup was frozen
// before create hung forever (the init froze on joining it). An empty
// cgroupsPath created frozen in the v1 freezer: create fails naming it,
// or succeeds with a container that runs; never a hang. Cleans up the
// frozen cgroup itself (husk must not remove a cgroup it did not make).
func TestEscapeCrunFrozenCgroup(t *testing.T) {
	h, ok := v1Hierarchy("freezer")
	if !ok {
		if v2, ok := pureV2(); ok {
			h = v2
		} else {
			t.Skip("no v1 freezer and no cgroup v2 hierarchy")
		}
	}
	e := newEnv(t)
	cg := "/husk-it-frozen-" + randHex(4)
	dir := filepath.Join(h.Mount, cg)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	freeze, thaw := "FROZEN", "THAWED"
	file := filepath.Join(dir, "freezer.state")
	if h.Ctrls == "" {
		file, freeze, thaw = filepath.Join(dir, "cgroup.freeze"), "1", "0"
	}
	t.Cleanup(func() {
		os.WriteFile(file, []byte(thaw), 0o644)
		removeCgroup(dir)
	})
	if err := os.WriteFile(file, []byte(freeze), 0o644); err != nil {
		t.Fatalf("freezing %s: %v", dir, err)
	}
	e.cgroups = append(e.cgroups, cg) // the other hierarchies: husk's to remove
	b := e.bundle(func(s *specs.Spec) { s.Linux.CgroupsPath = cg }, sh("echo ran"))
	id := e.id()
	c := e.cmd("run", "--bundle", b.Dir, id)
	start := time.Now()
	done := make(chan result, 1)
	go func() { done <- e.run(c) }()
	var r result
	select {
	case r = <-done:
	case <-time.After(15 * time.Second):
		os.WriteFile(file, []byte(thaw), 0o644) // unhang it for the cleanup
		<-done
		t.Fatalf("husk run into a frozen cgroup hung for 15s")
	}
	t.Logf("run into a frozen cgroup (%v): %s", time.Since(start), r)
	if r.Code == 0 {
		if r.Stdout != "ran\n" {
			t.Errorf("run into a frozen cgroup succeeded but the payload did not run: %s", r)
		}
	} else if !strings.Contains(r.Stderr, "frozen") && !strings.Contains(r.Stderr, cg) {
		t.Errorf("refused without naming the frozen cgroup: %s", r)
	}
	if l := e.leftovers(id); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
	// Only the pre-made freezer cgroup may remain (ours), nothing below it.
	ents, _ := os.ReadDir(dir)
	for _, ent := range ents {
		if ent.IsDir() {
			t.Errorf("husk left %s in the frozen cgroup", filepath.Join(dir, ent.Name()))
		}
	}
	for _, hh := range cgroupHierarchies() {
		if hh.Mount == h.Mount {
			continue
		}
		if _, err := os.Stat(filepath.Join(hh.Mount, cg)); err == nil {
			t.Errorf("husk left its cgroup %s", filepath.Join(hh.Mount, cg))
		}
	}
}

// crun bug seen on this machine: a failure left cgroups behind. Failures
// at each stage — in husk before the init (bad bind source), in the init's
// mounts (a hostile /dev/null), at the executable lookup, in a
// createRuntime hook, in a createContainer hook, in the id maps — with and
// without a cgroupsPath and with a resource limit (so that cgroups exist):
// nothing is left right after each.
func TestEscapeCrunFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	limit := int64(1024)
	withLimits := func(s *specs.Spec) { s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &limit} }
	dev := e.hostileDev(t, map[string]string{"null": "/proc/sys/kernel/core_pattern"})
	failures := map[string]struct {
		mut  func(*specs.Spec)
		want string
	}{
		"bind source": {withBind("/nonexistent-"+randHex(3), "/mnt/a"), "nonexistent"},
		"/dev/null": {func(s *specs.Spec) {
			withDevBind(dev)(s)
			s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/etc/passwd")
		}, "/dev/null"},
		"executable":   {args("/no-such-binary"), "no-such-binary"},
		"cwd":          {func(s *specs.Spec) { s.Process.Cwd = "/proc/self/fd/4" }, "/proc/self/fd/4"},
		"runtime hook": {func(s *specs.Spec) { s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/false"}}} }, "hook"},
		"container hook": {func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/false"}}}
		}, "hook"},
		"id map": {func(s *specs.Spec) {
			withNamespace(specs.UserNamespace, "")(s)
			s.Linux.UIDMappings = idMaps(400, 1000)
			s.Linux.GIDMappings = idMaps(400, 1000)
		}, "uid"},
	}
	for name, f := range failures {
		for _, cgPath := range []bool{false, true} {
			mut := []func(*specs.Spec){withLimits, f.mut}
			if cgPath {
				cg := "/husk-it-fail-" + randHex(4)
				e.cgroups = append(e.cgroups, cg)
				mut = append(mut, func(s *specs.Spec) { s.Linux.CgroupsPath = cg })
			}
			b := e.bundle(mut...)
			id := e.id()
			r := e.husk("run", "--bundle", b.Dir, id)
			if r.Code == 0 || !strings.Contains(r.Combined(), f.want) {
				t.Errorf("%s (cgroupsPath %v): want a failure naming %q: %s", name, cgPath, f.want, r)
			}
			l := e.leftovers(id)
			for _, c := range e.cgroups {
				for _, h := range cgroupHierarchies() {
					if _, err := os.Stat(filepath.Join(h.Mount, c)); err == nil {
						l = append(l, "cgroup "+filepath.Join(h.Mount, c))
					}
				}
			}
			if len(l) > 0 {
				t.Errorf("%s (cgroupsPath %v): left behind %v", name, cgPath, l)
			}
		}
	}
}
