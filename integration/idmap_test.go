package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Idmapped mounts (mounts[].uidMappings/gidMappings, "idmap", "ridmap").
// The mappings read as linux.uidMappings do ("containerID hostID size" in
// the mapping's user namespace): a file owned by containerID on the
// filesystem is seen as host id hostID through the mount, and what hostID
// creates through it is stored as containerID.

func idmaps(c, h, n uint32) []specs.LinuxIDMapping {
	return []specs.LinuxIDMapping{{ContainerID: c, HostID: h, Size: n}}
}

// withIdmapMount adds a mount with explicit uid and gid mappings.
func withIdmapMount(m specs.Mount, maps []specs.LinuxIDMapping) func(*specs.Spec) {
	return func(s *specs.Spec) {
		m.UIDMappings, m.GIDMappings = maps, maps
		s.Mounts = append(s.Mounts, m)
	}
}

// withUserns gives the container a user namespace: container 0-65535 is
// host 100000-165535.
func withUserns(s *specs.Spec) {
	withNamespace(specs.UserNamespace, "")(s)
	s.Linux.UIDMappings = idmaps(0, 100000, 65536)
	s.Linux.GIDMappings = idmaps(0, 100000, 65536)
}

// idmapSource is a host directory with f0 owned by 0:0 and f1000 by
// 1000:1000.
func idmapSource(e *env, name string) string {
	e.t.Helper()
	d := e.hostDir(name)
	for _, f := range []struct {
		name string
		id   int
	}{{"f0", 0}, {"f1000", 1000}} {
		p := filepath.Join(d, f.name)
		if err := os.WriteFile(p, []byte(f.name+"\n"), 0o666); err != nil {
			e.t.Fatal(err)
		}
		if err := os.Chown(p, f.id, f.id); err != nil {
			e.t.Fatal(err)
		}
	}
	return d
}

func hostOwner(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
}

func TestIdmapBindNoUserns(t *testing.T) {
	e := newEnv(t)
	src := idmapSource(e, "src")
	bind := specs.Mount{Source: src, Type: "bind", Options: []string{"bind", "idmap"}}
	// Host 0 is seen as 1000; 1000, unmapped, as the overflow id.
	m1 := bind
	m1.Destination = "/m1"
	// The other way round: files of host uid 1000 are seen as root.
	m2 := bind
	m2.Destination = "/m2"
	m2.Options = []string{"bind"} // the mappings alone ask for it too
	r := e.runContainer(e.bundle(withIdmapMount(m1, idmaps(0, 1000, 1)), withIdmapMount(m2, idmaps(1000, 0, 1)),
		func(s *specs.Spec) { s.Process.User = specs.User{UID: 1000, GID: 1000} },
		sh(`stat -c '%n %u:%g' /m1/f0 /m1/f1000 /m2/f0 /m2/f1000
touch /m1/by1000 && echo created
grep -E ' /m[12] ' /proc/self/mountinfo`)))
	if r.Code != 0 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{"/m1/f0 1000:1000\n", "/m1/f1000 65534:65534\n", "/m2/f0 65534:65534\n", "/m2/f1000 0:0\n", "created\n"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Stdout)
		}
	}
	// Created by uid 1000 through the mount: stored as 0 on the host.
	if got := hostOwner(t, filepath.Join(src, "by1000")); got != "0:0" {
		t.Errorf("file created by 1000 through the idmapped mount is %s on the host, want 0:0", got)
	}
	ms := parseMountinfo(r.Stdout)
	for _, d := range []string{"/m1", "/m2"} {
		if m, ok := findMount(ms, d); !ok || !hasOpt(m.Options, "idmapped") {
			t.Errorf("%s: not an idmapped mount in mountinfo: %+v", d, m)
		}
	}
}

func TestIdmapBindUserns(t *testing.T) {
	e := newEnv(t)
	src := idmapSource(e, "src")
	// Destinations that exist in the rootfs: the container's root cannot
	// create mount points in it (owned by the host's root).
	plain := specs.Mount{Destination: "/mnt", Source: src, Type: "bind", Options: []string{"bind"}}
	// "idmap" alone: the container's own mappings, so the container sees
	// the filesystem's ids unchanged (a Kubernetes volume in a userns pod).
	own := specs.Mount{Destination: "/run", Source: src, Type: "bind", Options: []string{"bind", "idmap"}}
	// Explicit mappings: 0 on the filesystem is host 101000, container 1000.
	expl := specs.Mount{Destination: "/var", Source: src, Type: "bind", Options: []string{"bind", "idmap"}}
	r := e.runContainer(e.bundle(withUserns, func(s *specs.Spec) { s.Mounts = append(s.Mounts, plain, own) },
		withIdmapMount(expl, idmaps(0, 101000, 1)),
		sh(`stat -c '%n %u:%g' /mnt/f0 /mnt/f1000 /run/f0 /run/f1000 /var/f0 /var/f1000
touch /run/byroot && echo created
touch /mnt/x 2>/dev/null || echo plain-refused`)))
	if r.Code != 0 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{
		"/mnt/f0 65534:65534\n", "/mnt/f1000 65534:65534\n",
		"/run/f0 0:0\n", "/run/f1000 1000:1000\n",
		"/var/f0 1000:1000\n", "/var/f1000 65534:65534\n",
		"created\n",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if got := hostOwner(t, filepath.Join(src, "byroot")); got != "0:0" {
		t.Errorf("file created by the container's root through the idmapped mount is %s on the host, want 0:0", got)
	}
}

// An rbind with a submount: "idmap" maps only the top mount, "ridmap" the
// whole tree.
func TestIdmapRbindRecursive(t *testing.T) {
	e := newEnv(t)
	src := idmapSource(e, "src")
	sub := idmapSource(e, "sub")
	if err := os.Mkdir(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	hostMount(t, "--bind", sub, filepath.Join(src, "sub"))
	top := specs.Mount{Destination: "/top", Source: src, Type: "bind", Options: []string{"rbind", "idmap"}}
	rec := specs.Mount{Destination: "/rec", Source: src, Type: "bind", Options: []string{"rbind", "ridmap"}}
	r := e.runContainer(e.bundle(withIdmapMount(top, idmaps(0, 1000, 1)), withIdmapMount(rec, idmaps(0, 1000, 1)),
		sh(`stat -c '%n %u' /top/f0 /top/sub/f0 /rec/f0 /rec/sub/f0`)))
	if r.Code != 0 {
		t.Fatalf("%s", r)
	}
	want := "/top/f0 1000\n/top/sub/f0 0\n/rec/f0 1000\n/rec/sub/f0 1000\n"
	if r.Stdout != want {
		t.Errorf("owners:\n%s\nwant:\n%s", r.Stdout, want)
	}
}

// A new tmpfs, idmapped: its root (made by root) is seen as 1000, root
// cannot create files (0 has no mapping), uid 1000 can.
func TestIdmapTmpfs(t *testing.T) {
	e := newEnv(t)
	tm := specs.Mount{Destination: "/t", Source: "tmpfs", Type: "tmpfs", Options: []string{"idmap", "nosuid", "size=1m"}}
	r := e.runContainer(e.bundle(withIdmapMount(tm, idmaps(0, 1000, 1)),
		sh(`stat -c '%n %u:%g' /t
touch /t/byroot 2>/dev/null || echo root-refused
grep ' /t ' /proc/self/mountinfo`)))
	if r.Code != 0 {
		t.Fatalf("%s", r)
	}
	if !strings.Contains(r.Stdout, "/t 1000:1000\n") || !strings.Contains(r.Stdout, "root-refused\n") {
		t.Errorf("idmapped tmpfs:\n%s", r.Stdout)
	}
	if m, ok := findMount(parseMountinfo(r.Stdout), "/t"); !ok || m.FSType != "tmpfs" ||
		!hasOpt(m.Options, "idmapped") || !hasOpt(m.Options, "nosuid") || !strings.Contains(m.SuperOptions, "size=1024k") {
		t.Errorf("/t mount: %+v", m)
	}
	// Over an existing directory (0755 in the rootfs) it takes its mode,
	// as a tmpfs does without an idmapping; a new one is 1777.
	over := tm
	over.Destination = "/mnt"
	r = e.runContainer(e.bundle(withIdmapMount(tm, idmaps(0, 1000, 1)), withIdmapMount(over, idmaps(0, 1000, 1)),
		sh(`stat -c '%n %a' /t /mnt`)))
	if r.Code != 0 || r.Stdout != "/t 1777\n/mnt 755\n" {
		t.Errorf("modes of idmapped tmpfs mounts: %s", r)
	}
	r = e.runContainer(e.bundle(withIdmapMount(tm, idmaps(0, 1000, 1)),
		func(s *specs.Spec) { s.Process.User = specs.User{UID: 1000, GID: 1000} },
		sh(`touch /t/by1000 && stat -c '%n %u:%g' /t/by1000`)))
	if r.Code != 0 || r.Stdout != "/t/by1000 1000:1000\n" {
		t.Errorf("uid 1000 creating in the idmapped tmpfs: %s", r)
	}
}

// In a user namespace, an idmapped tmpfs with the container's mappings:
// the container's root owns it and what it creates is host 100000's.
func TestIdmapTmpfsUserns(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("out")
	tm := specs.Mount{Destination: "/run", Source: "tmpfs", Type: "tmpfs", Options: []string{"idmap"}}
	b := e.bundle(withUserns, withBind(hd, "/mnt"), func(s *specs.Spec) { s.Mounts = append(s.Mounts, tm) },
		sh(`stat -c '%n %u:%g' /run > /mnt/o; touch /run/f && stat -c '%n %u:%g' /run/f >> /mnt/o; exec sleep 1000`))
	id, _ := e.startDetached(b)
	got := waitFile(t, filepath.Join(hd, "o"), "/run/f")
	if got != "/run 0:0\n/run/f 0:0\n" {
		t.Errorf("inside: %q", got)
	}
	if o := hostOwner(t, fmt.Sprintf("/proc/%d/root/run/f", e.state(id).Pid)); o != "100000:100000" {
		t.Errorf("seen from the host: %s, want 100000:100000", o)
	}
	e.destroy(id)
}

// Filesystems the kernel cannot idmap: a clear error naming the mount;
// nothing is left behind (the cleanup checks).
func TestIdmapUnsupported(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		m    specs.Mount
		want string
	}{
		{specs.Mount{Destination: "/data", Source: "proc", Type: "proc", Options: []string{"idmap"}},
			"idmapped mount: the filesystem (proc) does not support idmapped mounts"},
		{specs.Mount{Destination: "/data", Source: "mqueue", Type: "mqueue", Options: []string{"idmap"}},
			"idmapped mount: the filesystem (mqueue) does not support idmapped mounts"},
		{specs.Mount{Destination: "/data", Source: "/sys", Type: "bind", Options: []string{"bind", "idmap"}},
			"idmapped mount: the filesystem (sysfs) does not support idmapped mounts"},
	} {
		var idx int
		b := e.bundle(func(s *specs.Spec) { idx = len(s.Mounts) }, withIdmapMount(tc.m, idmaps(0, 1000, 1)))
		r := e.mustFail([]string{fmt.Sprintf("mounts[%d] (/data): ", idx) + tc.want}, "run", "--bundle", b.Dir, e.id())
		if strings.Contains(r.Combined(), "panic") {
			t.Errorf("%s", r)
		}
	}
}

// Many idmapped mounts, two distinct mappings: the payload gets none of
// their fds (nor of the user namespaces).
func TestIdmapFdsClosed(t *testing.T) {
	e := newEnv(t)
	src := idmapSource(e, "src")
	var mut []func(*specs.Spec)
	for i := range 10 {
		m := specs.Mount{Destination: fmt.Sprintf("/m%d", i), Source: src, Type: "bind", Options: []string{"bind", "idmap"}}
		mut = append(mut, withIdmapMount(m, idmaps(0, uint32(1000+i%2), 1)))
	}
	mut = append(mut, sh(`stat -c %u /m0/f0 /m1/f0 /m9/f0; ls /proc/self/fd | tr '\n' ' '`))
	if out := e.output(mut...); out != "1000\n1001\n1001\n0 1 2 3 " {
		t.Errorf("owners, then the fds of ls: %q", out)
	}
}

// A single file, idmapped, in a container whose init forks (a new time
// namespace next to the user namespace): the mount made before the init
// starts is attached by the forked child.
func TestIdmapFileSlowPath(t *testing.T) {
	e := newEnv(t)
	src := idmapSource(e, "src")
	m := specs.Mount{Destination: "/etc/hosts", Source: filepath.Join(src, "f1000"), Type: "bind", Options: []string{"bind", "idmap"}}
	out := e.output(withUserns, withNamespace(specs.TimeNamespace, ""), withIdmapMount(m, idmaps(1000, 100007, 1)),
		sh(`stat -c '%n %u:%g' /etc/hosts; cat /etc/hosts`))
	if out != "/etc/hosts 7:7\nf1000\n" {
		t.Errorf("idmapped file in a user namespace: %q", out)
	}
}
