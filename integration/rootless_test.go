package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Rootless: husk run by an unprivileged user (uid/gid 1000 here), with a
// user namespace mapping that user to root, as `husk spec --rootless`
// writes it. This host's cgroups are not writable by that user.

const rootlessUID = 1000

// rootlessSpec is what `spec --rootless` does to a spec, for rootlessUID.
func rootlessSpec(s *specs.Spec) {
	var ns []specs.LinuxNamespace
	for _, n := range s.Linux.Namespaces {
		if n.Type != specs.NetworkNamespace && n.Type != specs.UserNamespace {
			ns = append(ns, n)
		}
	}
	s.Linux.Namespaces = append(ns, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: rootlessUID, Size: 1}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: rootlessUID, Size: 1}}
	var mounts []specs.Mount
	for _, m := range s.Mounts {
		if m.Destination == "/sys" {
			m = specs.Mount{Destination: "/sys", Type: "none", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
		}
		var opts []string
		for _, o := range m.Options {
			if !strings.HasPrefix(o, "uid=") && !strings.HasPrefix(o, "gid=") {
				opts = append(opts, o)
			}
		}
		m.Options = opts
		mounts = append(mounts, m)
	}
	s.Mounts = mounts
	s.Linux.Resources = nil
}

// rootlessEnv is an env whose --root belongs to the unprivileged user.
func rootlessEnv(t *testing.T) *env {
	e := newEnv(t)
	if err := os.Chown(e.root, rootlessUID, rootlessUID); err != nil {
		t.Fatal(err)
	}
	return e
}

// asUser runs husk as the unprivileged user.
func (e *env) asUser(args ...string) result {
	e.t.Helper()
	cmd := e.cmd(args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: rootlessUID, Gid: rootlessUID, NoSetGroups: true}}
	cmd.Env = append(cmd.Env, "HOME=/nonexistent")
	return e.run(cmd)
}

func TestRootlessRun(t *testing.T) {
	e := rootlessEnv(t)
	hd := e.hostDir("shared")
	if err := os.Chown(hd, rootlessUID, rootlessUID); err != nil {
		t.Fatal(err)
	}
	b := e.bundle(rootlessSpec, withBind(hd, "/hostdir"),
		sh(`id -u; cat /proc/self/uid_map; touch /hostdir/made-inside; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status`))
	r := e.asUser("--debug", "run", "--bundle", b.Dir, e.id())
	if r.Code != 0 {
		t.Fatalf("rootless run: %s", r)
	}
	lines := strings.Fields(r.Stdout)
	if len(lines) < 4 || lines[0] != "0" || lines[1] != "0" || lines[2] != "1000" || lines[3] != "1" {
		t.Errorf("inside: %q, want uid 0 mapped from host %d", r.Stdout, rootlessUID)
	}
	st, err := os.Stat(filepath.Join(hd, "made-inside"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; uid != rootlessUID {
		t.Errorf("a file the container's root made is owned by host uid %d, want %d", uid, rootlessUID)
	}
	// No CAP_SYS_ADMIN on the host: the binary is sealed by a memfd copy.
	if !strings.Contains(r.Stderr, "sealed binary (memfd copy)") {
		t.Errorf("rootless sealing: no memfd line in the debug log:\n%s", r.Stderr)
	}
}

// Without a writable cgroup, resource limits are not applied, and husk
// says so (never silently); an explicit cgroupsPath it cannot create is
// an error, as with runc.
func TestRootlessCgroups(t *testing.T) {
	if _, v2 := pureV2(); v2 {
		t.Skip("cgroup v1 host behaviour (the v2 guest may delegate)")
	}
	e := rootlessEnv(t)
	limit := int64(64 << 20)
	b := e.bundle(rootlessSpec, func(s *specs.Spec) {
		s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	}, sh(`cat /proc/self/cgroup | head -3`))
	r := e.asUser("run", "--bundle", b.Dir, e.id())
	if r.Code != 0 {
		t.Fatalf("rootless run with a memory limit: %s", r)
	}
	if !strings.Contains(r.Stderr, "resource limits not applied") || !strings.Contains(r.Stderr, "linux.resources.memory") {
		t.Errorf("no warning naming the ignored limit: %q", r.Stderr)
	}
	b = e.bundle(rootlessSpec, func(s *specs.Spec) { s.Linux.CgroupsPath = "/husk-rootless-test" })
	r = e.asUser("run", "--bundle", b.Dir, e.id())
	if r.Code == 0 || !strings.Contains(r.Combined(), "permission denied") {
		t.Errorf("rootless run with a cgroupsPath it cannot create: %s", r)
	}
	// The lifecycle without cgroups: create, state, exec, ps (an error:
	// nothing to list from), kill, delete.
	b = e.bundle(rootlessSpec, args("sleep", "30"))
	id := e.id()
	out := filepath.Join(e.dir, "rl.out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := e.cmd("create", "--bundle", b.Dir, id)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: rootlessUID, Gid: rootlessUID, NoSetGroups: true}}
	cmd.Stdout, cmd.Stderr = f, f
	if r := e.run(cmd); r.Code != 0 {
		data, _ := os.ReadFile(out)
		t.Fatalf("rootless create: %d %s", r.Code, data)
	}
	defer e.asUser("delete", "--force", id)
	if r := e.asUser("start", id); r.Code != 0 {
		t.Fatalf("start: %s", r)
	}
	if r := e.asUser("exec", id, "id", "-u"); r.Code != 0 || strings.TrimSpace(r.Stdout) != "0" {
		t.Errorf("exec: %s", r)
	}
	if r := e.asUser("ps", id); r.Code == 0 || !strings.Contains(r.Combined(), "no cgroup") {
		t.Errorf("ps of a container without a cgroup: %s", r)
	}
	if r := e.asUser("kill", id, "KILL"); r.Code != 0 {
		t.Errorf("kill: %s", r)
	}
	if r := e.asUser("delete", "--force", id); r.Code != 0 {
		t.Errorf("delete: %s", r)
	}
}
