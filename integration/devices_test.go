package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The default devices with their major:minor (hex, as stat %t:%T prints them).
func TestDefaultDevices(t *testing.T) {
	e := newEnv(t)
	out := e.output(sh(`for d in null zero full random urandom tty; do echo "$d $(stat -c '%F %t:%T %a' /dev/$d)"; done
head -c 4 /dev/urandom | wc -c; echo x > /dev/null && echo null-ok; head -c 3 /dev/zero | wc -c`))
	want := []string{
		"null character special file 1:3 666",
		"zero character special file 1:5 666",
		"full character special file 1:7 666",
		"random character special file 1:8 666",
		"urandom character special file 1:9 666",
		"tty character special file 5:0 666",
		"4", "null-ok", "3",
	}
	if got := strings.Split(strings.TrimSpace(out), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("default devices:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
}

func TestDevSymlinks(t *testing.T) {
	e := newEnv(t)
	out := e.output(sh(`for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done
[ -e /proc/kcore ] && echo "core -> $(readlink /dev/core)"; true`))
	want := "fd -> /proc/self/fd\nstdin -> /proc/self/fd/0\nstdout -> /proc/self/fd/1\nstderr -> /proc/self/fd/2\nptmx -> pts/ptmx\n"
	if _, err := os.Stat("/proc/kcore"); err == nil {
		want += "core -> /proc/kcore\n"
	} else {
		t.Logf("/dev/core not checked: this kernel has no /proc/kcore")
	}
	if out != want {
		t.Errorf("/dev symlinks:\n%s\nwant:\n%s", out, want)
	}
}

// linux.devices: a custom node with type, numbers, mode and owner, usable
// when the device cgroup allows it.
func TestCustomDevice(t *testing.T) {
	e := newEnv(t)
	mode, mode2 := os.FileMode(0o666), os.FileMode(0o640)
	uid, gid := uint32(1000), uint32(1000)
	out := e.output(func(s *specs.Spec) {
		s.Linux.Devices = append(s.Linux.Devices,
			specs.LinuxDevice{Path: "/dev/hk-null", Type: "c", Major: 1, Minor: 3, FileMode: &mode, UID: &uid, GID: &gid},
			specs.LinuxDevice{Path: "/dev/sub/hk-zero", Type: "c", Major: 1, Minor: 5, FileMode: &mode2})
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices,
			specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
			specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(1), Minor: i64(5), Access: "rwm"})
	}, sh(`stat -c '%F %t:%T %a %u:%g' /dev/hk-null /dev/sub/hk-zero; echo x > /dev/hk-null && echo write-ok; head -c 2 /dev/sub/hk-zero | wc -c`))
	want := "character special file 1:3 666 1000:1000\ncharacter special file 1:5 640 0:0\nwrite-ok\n2\n"
	if out != want {
		t.Errorf("linux.devices:\n%s\nwant:\n%s", out, want)
	}
}

func i64(v int64) *int64 { return &v }

// maskedPaths: files read empty and writes do not reach them, directories
// are empty and refuse writes; the default masked /proc files too.
func TestMaskedPaths(t *testing.T) {
	e := newEnv(t)
	b := e.bundleRW(func(s *specs.Spec) {
		s.Root.Readonly = false
		s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/secret-file", "/secret-dir", "/does-not-exist")
	}, sh(`echo "file:$(cat /secret-file)"
echo "dir:$(ls -A /secret-dir)"
echo overwritten > /secret-file 2>/dev/null; echo "after-write:$(cat /secret-file)"
touch /secret-dir/new 2>/dev/null && echo dir-writable
for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/acpi /sys/firmware; do
  [ -e $p ] || continue
  if [ -d $p ]; then c=$(ls -A $p); else c=$(head -c1 $p); fi
  [ -n "$c" ] && echo "unmasked:$p"
done; true`))
	os.WriteFile(filepath.Join(b.Rootfs, "secret-file"), []byte("top secret\n"), 0o644)
	os.Mkdir(filepath.Join(b.Rootfs, "secret-dir"), 0o755)
	os.WriteFile(filepath.Join(b.Rootfs, "secret-dir", "inner"), []byte("inner\n"), 0o644)
	r := e.runContainer(b)
	want := "file:\ndir:\nafter-write:\n"
	if r.Code != 0 || r.Stdout != want {
		t.Errorf("maskedPaths: %s\nwant stdout %q", r, want)
	}
	if data, _ := os.ReadFile(filepath.Join(b.Rootfs, "secret-file")); string(data) != "top secret\n" {
		t.Errorf("a write to a masked file reached it: %q", data)
	}
	if _, err := os.Stat(filepath.Join(b.Rootfs, "secret-dir", "new")); err == nil {
		t.Errorf("a file was created in a masked directory")
	}
}

func TestReadonlyPaths(t *testing.T) {
	e := newEnv(t)
	b := e.bundleRW(func(s *specs.Spec) {
		s.Root.Readonly = false
		s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, "/ro-dir", "/does-not-exist")
	}, sh(`touch /ro-dir/x 2>&1; touch /rw-x && echo root-rw
{ echo 1 > /proc/sys/kernel/ns_last_pid; } 2>&1
[ -e /proc/sysrq-trigger ] && { echo 1 > /proc/sysrq-trigger; } 2>&1
grep -E ' /ro-dir | /proc/sys ' /proc/self/mountinfo`))
	os.Mkdir(filepath.Join(b.Rootfs, "ro-dir"), 0o755)
	r := e.runContainer(b)
	out := r.Stdout
	if !strings.Contains(out, "touch: /ro-dir/x: Read-only file system") || !strings.Contains(out, "root-rw") {
		t.Errorf("readonlyPaths /ro-dir: %s", r)
	}
	wantRO := 3
	if _, err := os.Stat("/proc/sysrq-trigger"); err != nil {
		wantRO = 2 // this kernel has no sysrq
	}
	if strings.Count(out, "Read-only file system") != wantRO {
		t.Errorf("default readonly /proc/sys and /proc/sysrq-trigger must refuse writes with EROFS:\n%s", out)
	}
	for _, m := range parseMountinfo(out) {
		if !hasOpt(m.Options, "ro") {
			t.Errorf("readonly path %s mounted %q", m.MountPoint, m.Options)
		}
	}
	if n := len(parseMountinfo(out)); n != 2 {
		t.Errorf("expected ro mounts on /ro-dir and /proc/sys, got %d:\n%s", n, out)
	}
}

func TestSysctl(t *testing.T) {
	e := newEnv(t)
	hostFwd, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	hostFwd6, _ := os.ReadFile("/proc/sys/net/ipv4/conf/all/forwarding")
	want := "1\n2048\n"
	out := e.output(func(s *specs.Spec) {
		s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.msgmax": "2048"}
	}, sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax"))
	if out != want {
		t.Errorf("sysctl inside: %q, want %q", out, want)
	}
	if after, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); string(after) != string(hostFwd) {
		t.Errorf("host net.ipv4.ip_forward changed: %q -> %q", hostFwd, after)
	}
	if after, _ := os.ReadFile("/proc/sys/net/ipv4/conf/all/forwarding"); string(after) != string(hostFwd6) {
		t.Errorf("host forwarding changed: %q -> %q", hostFwd6, after)
	}
}
