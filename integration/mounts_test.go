package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hostMount mounts on the host for a test and unmounts at cleanup.
func hostMount(t *testing.T, args ...string) {
	t.Helper()
	hostRun(t, "mount", args...)
	target := args[len(args)-1]
	t.Cleanup(func() { _ = syscall.Unmount(target, syscall.MNT_DETACH) })
}

// containerMounts runs a container that prints its mountinfo (after script).
func (e *env) containerMounts(mut ...func(*specs.Spec)) []mountInfo {
	e.t.Helper()
	return parseMountinfo(e.output(append(mut, args("cat", "/proc/self/mountinfo"))...))
}

func TestMountBindOptions(t *testing.T) {
	e := newEnv(t)
	src := e.hostDir("src")
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "/bin/busybox", filepath.Join(src, "busybox")).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	ro := withBind(src, "/mnt/a", "bind", "ro", "nosuid", "nodev", "noexec")
	rw := withBind(src, "/mnt/b", "bind")
	r := e.runContainer(e.bundle(ro, rw, sh(`cat /mnt/a/f
touch /mnt/a/new 2>&1 && echo ro-writable
/mnt/a/busybox true 2>/dev/null && echo noexec-executed
/mnt/b/busybox echo exec-ok
touch /mnt/b/new && echo rw-ok
cat /proc/self/mountinfo`)))
	if r.Code != 0 {
		t.Fatalf("%s", r)
	}
	out := r.Stdout
	if !strings.HasPrefix(out, "hello\n") {
		t.Errorf("bind mount content: %q", out)
	}
	if !strings.Contains(out, "Read-only file system") || strings.Contains(out, "ro-writable") {
		t.Errorf("write into a ro bind mount did not fail with EROFS:\n%s", out)
	}
	if strings.Contains(out, "noexec-executed") || !strings.Contains(out, "exec-ok") {
		t.Errorf("noexec not applied (or exec broken on the rw mount):\n%s", out)
	}
	if !strings.Contains(out, "rw-ok") {
		t.Errorf("rw bind mount not writable:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(src, "new")); err != nil {
		t.Errorf("write through the rw bind mount not visible on the host: %v", err)
	}
	ms := parseMountinfo(out)
	a, ok := findMount(ms, "/mnt/a")
	if !ok {
		t.Fatalf("/mnt/a not in mountinfo:\n%s", out)
	}
	for _, o := range []string{"ro", "nosuid", "nodev", "noexec"} {
		if !hasOpt(a.Options, o) {
			t.Errorf("/mnt/a mount options %q lack %s", a.Options, o)
		}
	}
	if b, ok := findMount(ms, "/mnt/b"); !ok || !hasOpt(b.Options, "rw") || hasOpt(b.Options, "noexec") {
		t.Errorf("/mnt/b mount: %+v", b)
	}
}

func TestMountRbind(t *testing.T) {
	e := newEnv(t)
	src := e.hostDir("src")
	sub := filepath.Join(src, "sub")
	os.Mkdir(sub, 0o755)
	hostMount(t, "-t", "tmpfs", "-o", "size=1m", "hk-sub", sub)
	os.WriteFile(filepath.Join(sub, "f"), []byte("submount\n"), 0o644)
	out := e.output(withBind(src, "/mnt/a", "rbind"), withBind(src, "/mnt/b", "bind"),
		sh("cat /mnt/a/sub/f; ls /mnt/b/sub | wc -l"))
	if out != "submount\n0\n" {
		t.Errorf("rbind shows submounts, bind does not: got %q, want %q", out, "submount\n0\n")
	}
}

func TestMountTmpfs(t *testing.T) {
	e := newEnv(t)
	out := e.output(func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/tmpfs-new", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"size=1m", "mode=1770", "nodev"}})
	}, sh(`stat -c %a /tmpfs-new
dd if=/dev/zero of=/tmpfs-new/big bs=1024 count=2048 2>&1 | grep -o 'No space left on device'
grep ' /tmpfs-new ' /proc/self/mountinfo`))
	lines := strings.SplitN(out, "\n", 3)
	if len(lines) < 3 || lines[0] != "1770" || lines[1] != "No space left on device" {
		t.Fatalf("tmpfs mode=1770 size=1m: %q", out)
	}
	m := parseMountinfo(lines[2])
	if len(m) != 1 || m[0].FSType != "tmpfs" || !hasOpt(m[0].SuperOptions, "size=1024k") || !hasOpt(m[0].Options, "nodev") {
		t.Errorf("tmpfs mountinfo: %q", lines[2])
	}
}

// Bind mounts with rshared / rslave / rprivate: the tags in mountinfo and a
// mount made on the host afterwards, seen (or not) inside.
func TestMountPropagation(t *testing.T) {
	e := newEnv(t)
	src := e.hostDir("shared-src")
	hostMount(t, "-t", "tmpfs", "hk-shared", src)
	hostRun(t, "mount", "--make-shared", src)
	os.Mkdir(filepath.Join(src, "later"), 0o755)
	hd := e.hostDir("ipc")
	b := e.bundle(withBind(hd, "/hostdir"),
		withBind(src, "/mnt/a", "rbind", "rshared"),
		withBind(src, "/mnt/b", "rbind", "rslave"),
		withBind(src, "/mnt/c", "rbind", "rprivate"),
		sh(`cat /proc/self/mountinfo > /hostdir/before; echo ready > /hostdir/ready
while [ ! -e /hostdir/go ]; do sleep 0.05; done
for d in a b c; do [ -e /mnt/$d/later/marker ] && echo $d; done > /hostdir/seen
echo done > /hostdir/done; sleep 1000`))
	id, _ := e.startDetached(b)
	waitFile(t, filepath.Join(hd, "ready"), "ready")
	hostMount(t, "-t", "tmpfs", "hk-later", filepath.Join(src, "later"))
	os.WriteFile(filepath.Join(src, "later", "marker"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(hd, "go"), []byte("go"), 0o644)
	waitFile(t, filepath.Join(hd, "done"), "done")

	before, _ := os.ReadFile(filepath.Join(hd, "before"))
	ms := parseMountinfo(string(before))
	for dest, want := range map[string]string{"/mnt/a": "shared:", "/mnt/b": "master:", "/mnt/c": ""} {
		m, ok := findMount(ms, dest)
		if !ok {
			t.Errorf("%s not mounted", dest)
			continue
		}
		if want == "" && m.Optional != "" || want != "" && !strings.Contains(m.Optional, want) {
			t.Errorf("%s propagation fields %q, want %q", dest, m.Optional, want)
		}
	}
	if dest, _ := findMount(ms, "/mnt/b"); strings.Contains(dest.Optional, "shared:") {
		t.Errorf("rslave mount is also shared: %q", dest.Optional)
	}
	seen, _ := os.ReadFile(filepath.Join(hd, "seen"))
	if string(seen) != "a\nb\n" {
		t.Errorf("host mount made later seen under %q, want under the rshared and rslave mounts only", seen)
	}
	e.destroy(id)
}

// linux.rootfsPropagation is applied to the container's / mount.
func TestRootfsPropagation(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ prop, want string }{{"shared", "shared:"}, {"private", ""}} {
		ms := e.containerMounts(func(s *specs.Spec) { s.Linux.RootfsPropagation = tc.prop })
		root, ok := findMount(ms, "/")
		if !ok {
			t.Fatalf("no / in mountinfo")
		}
		if tc.want == "" && root.Optional != "" || tc.want != "" && !strings.Contains(root.Optional, tc.want) {
			t.Errorf("rootfsPropagation %s: / has propagation fields %q, want %q", tc.prop, root.Optional, tc.want)
		}
	}
}

func TestRootReadonly(t *testing.T) {
	e := newEnv(t)
	out := e.output(sh("touch /x 2>&1; touch /tmp/x 2>&1; grep -c ' / ro,' /proc/self/mountinfo"))
	if !strings.Contains(out, "touch: /x: Read-only file system") || !strings.HasSuffix(out, "1\n") {
		t.Errorf("root.readonly=true: %q", out)
	}
	b := e.bundle(func(s *specs.Spec) { s.Root.Readonly = false }, sh("touch /x && echo written"))
	if r := e.runContainer(b); r.Stdout != "written\n" {
		t.Errorf("root.readonly=false: %s", r)
	}
	if _, err := os.Stat(filepath.Join(b.Rootfs, "x")); err != nil {
		t.Errorf("file written in a writable root not in the bundle's rootfs: %v", err)
	}
}

// The default config's mounts are there with their types and flags.
func TestDefaultMounts(t *testing.T) {
	e := newEnv(t)
	out := e.output(sh("cat /proc/self/mountinfo; touch /sys/fs/cgroup/x 2>/dev/null && echo cgroup-writable; touch /sys/x 2>/dev/null && echo sys-writable; true"))
	ms := parseMountinfo(out)
	want := map[string]string{"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
		"/dev/mqueue": "mqueue", "/sys": "sysfs"}
	for dest, typ := range want {
		if m, ok := findMount(ms, dest); !ok || m.FSType != typ {
			t.Errorf("%s: mounted %v as %q, want %s", dest, ok, m.FSType, typ)
		}
	}
	if m, _ := findMount(ms, "/sys"); !hasOpt(m.Options, "ro") {
		t.Errorf("/sys not read-only: %q", m.Options)
	}
	if m, ok := findMount(ms, "/sys/fs/cgroup"); !ok {
		t.Errorf("/sys/fs/cgroup not mounted")
	} else if m.FSType != "cgroup" && m.FSType != "cgroup2" && m.FSType != "tmpfs" {
		t.Errorf("/sys/fs/cgroup type %q", m.FSType)
	}
	if strings.Contains(out, "-writable") {
		t.Errorf("/sys/fs/cgroup and /sys must be read-only:\n%s", out)
	}
	if m, _ := findMount(ms, "/dev/pts"); !strings.Contains(m.SuperOptions, "ptmxmode=666") {
		t.Errorf("/dev/pts options %q (newinstance, ptmxmode=0666)", m.SuperOptions)
	}
}

// --no-pivot: move + chroot; the container still sees only its rootfs.
func TestNoPivot(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(sh("ls / | tr '\\n' ' '; [ -e /usr/local/go ] && echo host-visible; cat /proc/1/cmdline | head -c 2"))
	r := e.runContainer(b, "--no-pivot")
	if r.Code != 0 || !strings.Contains(r.Stdout, "bin ") || strings.Contains(r.Stdout, "host-visible") || !strings.HasSuffix(r.Stdout, "sh") {
		t.Errorf("run --no-pivot: %s", r)
	}
}

// A missing destination is created inside the rootfs, and a symlink in the
// rootfs pointing out of it is resolved inside the rootfs (no host path is
// created or mounted over).
func TestMountDestinationInsideRootfs(t *testing.T) {
	e := newEnv(t)
	canary := filepath.Join(e.dir, "canary-"+randHex(4))
	b := e.bundleRW(func(s *specs.Spec) {
		s.Mounts = append(s.Mounts,
			specs.Mount{Destination: "/new/deep/dir", Type: "tmpfs", Source: "tmpfs"},
			specs.Mount{Destination: "/escape/x", Type: "tmpfs", Source: "tmpfs"})
	}, sh("grep -c ' /new/deep/dir ' /proc/self/mountinfo"))
	if err := os.Symlink(canary, filepath.Join(b.Rootfs, "escape")); err != nil {
		t.Fatal(err)
	}
	r := e.runContainer(b)
	if _, err := os.Lstat(canary); err == nil {
		t.Errorf("a symlink in the rootfs made the runtime create %s on the host", canary)
	}
	if r.Code != 0 {
		t.Logf("runtime refused the symlinked destination (allowed): %s", r)
		return
	}
	if r.Stdout != "1\n" {
		t.Errorf("missing destination not created and mounted: %s", r)
	}
	if fi, err := os.Stat(filepath.Join(b.Rootfs, "new/deep/dir")); err != nil || !fi.IsDir() {
		t.Errorf("destination not created inside the rootfs: %v", err)
	}
}
