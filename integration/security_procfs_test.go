package integration

// Escape tests of writes through procfs and cgroupfs: /proc or /sys a
// symlink, something mounted over /proc/sys, a container's own fake /proc
// for exec, a writable /sys/fs/cgroup. See security_test.go.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// CVE-2019-16884, CVE-2019-19921, CVE-2023-27561, CVE-2023-28642: /proc or
// /sys in the rootfs is a symlink (absolute, or with ".."), so that the
// procfs/sysfs mount — and every later write through /proc — lands
// elsewhere. Refused: "must be mounted on ordinary directory".
func TestEscapeProcfsSymlinkRootfs(t *testing.T) {
	guardHost(t)
	for _, dir := range []string{"proc", "sys"} {
		for _, kind := range []string{"absolute", "dotdot", "inside"} {
			t.Run(dir+"/"+kind, func(t *testing.T) {
				e := newEnv(t)
				canary := e.hostCanaryDir(dir)
				b := e.bundleRW(func(s *specs.Spec) {
					s.Linux.Sysctl = map[string]string{"kernel.domainname": "escape.test"}
				})
				link := filepath.Join(b.Rootfs, dir)
				target := map[string]string{
					"absolute": canary,
					"dotdot":   "../../../../../../../../../../.." + canary,
					"inside":   "tmp",
				}[kind]
				if err := os.Remove(link); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, link); err != nil {
					t.Fatal(err)
				}
				e.mustFail([]string{"/" + dir, "must be mounted on ordinary directory"}, "run", "--bundle", b.Dir, e.id())
			})
		}
	}
}

// CVE-2025-52881: something mounted over /proc/sys (or over one sysctl
// file) before the sysctl writes, so that they go elsewhere — here to a
// host canary file, or a tmpfs. Every write through /proc goes through
// a handle verified to be a procfs root and never crosses a mount: refused,
// naming the sysctl; the canary keeps its content; the host's value is
// unchanged (guardHost: kernel.domainname).
func TestEscapeProcfsSysctlRedirect(t *testing.T) {
	guardHost(t)
	sysctl := func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.domainname": "escape.test"} }
	t.Run("no attack", func(t *testing.T) {
		e := newEnv(t)
		if out := e.output(sysctl, args("cat", "/proc/sys/kernel/domainname")); out != "escape.test\n" {
			t.Errorf("kernel.domainname inside: %q (the sysctl must work without the attack)", out)
		}
	})
	t.Run("bind over the sysctl file", func(t *testing.T) {
		e := newEnv(t)
		canary := filepath.Join(e.dir, "canary-file")
		os.WriteFile(canary, []byte("untouched\n"), 0o644)
		b := e.bundle(sysctl, withMountAfter("/proc", specs.Mount{Destination: "/proc/sys/kernel/domainname",
			Type: "bind", Source: canary, Options: []string{"bind"}}))
		e.mustFail([]string{"sysctl kernel.domainname"}, "run", "--bundle", b.Dir, e.id())
		if data, _ := os.ReadFile(canary); string(data) != "untouched\n" {
			t.Errorf("the sysctl write went to the file mounted over it: %q", data)
		}
	})
	// Sysctls that are not the container's own (host-global, or of a
	// namespace the container shares with the host) or that leave /proc/sys.
	for name, c := range map[string]struct {
		mut  func(*specs.Spec)
		want string
	}{
		"host-global": {func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.core_pattern": "|/bin/false"} }, "kernel.core_pattern"},
		"shared netns": {func(s *specs.Spec) {
			withoutNamespace(specs.NetworkNamespace)(s)
			s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
		}, "net.ipv4.ip_forward"},
		"shared utsns":    {func(s *specs.Spec) { withoutNamespace(specs.UTSNamespace)(s); s.Hostname = ""; sysctl(s) }, "kernel.domainname"},
		"dotdot":          {func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../kernel/core_pattern": "|/bin/false"} }, "core_pattern"},
		"dotdot to /proc": {func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../../self/oom_score_adj": "-1000"} }, "oom_score_adj"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			r := e.mustFail([]string{c.want}, "run", "--bundle", e.bundle(c.mut).Dir, e.id())
			t.Logf("%s", strings.TrimSpace(r.Stderr))
		})
	}
	t.Run("tmpfs over /proc/sys", func(t *testing.T) {
		e := newEnv(t)
		b := e.bundle(sysctl, withMountAfter("/proc", specs.Mount{Destination: "/proc/sys", Type: "tmpfs", Source: "tmpfs"}))
		e.mustFail([]string{"sysctl kernel.domainname"}, "run", "--bundle", b.Dir, e.id())
	})
	t.Run("tmpfs as /proc", func(t *testing.T) {
		e := newEnv(t)
		b := e.bundle(sysctl, func(s *specs.Spec) {
			for i, m := range s.Mounts {
				if m.Destination == "/proc" {
					s.Mounts[i] = specs.Mount{Destination: "/proc", Type: "tmpfs", Source: "tmpfs"}
				}
			}
		})
		e.mustFail([]string{"/proc", "procfs"}, "run", "--bundle", b.Dir, e.id())
	})
	t.Run("host dir bound as /proc", func(t *testing.T) {
		e := newEnv(t)
		fake := e.hostDir("fakeproc")
		os.MkdirAll(filepath.Join(fake, "sys/kernel"), 0o755)
		os.WriteFile(filepath.Join(fake, "sys/kernel/domainname"), []byte("untouched\n"), 0o644)
		b := e.bundle(sysctl, func(s *specs.Spec) {
			for i, m := range s.Mounts {
				if m.Destination == "/proc" {
					s.Mounts[i] = specs.Mount{Destination: "/proc", Type: "bind", Source: fake, Options: []string{"rbind"}}
				}
			}
		})
		e.mustFail([]string{"/proc", "procfs"}, "run", "--bundle", b.Dir, e.id())
		if data, _ := os.ReadFile(filepath.Join(fake, "sys/kernel/domainname")); string(data) != "untouched\n" {
			t.Errorf("the sysctl write went to the fake /proc: %q", data)
		}
	})
}

// The same class after start: a privileged container replaces its own
// /proc with a tmpfs holding a fake self/oom_score_adj (and self/attr),
// then `husk exec` with oomScoreAdj joins it. The helper must refuse (or
// write the real one): the fake file keeps its content.
func TestEscapeProcfsExecRedirect(t *testing.T) {
	guardHost(t)
	e := newEnv(t)
	hd := e.hostDir("ready")
	id := e.running(withBind(hd, "/hostdir"), func(s *specs.Spec) {
		c := s.Process.Capabilities
		c.Bounding = append(c.Bounding, "CAP_SYS_ADMIN")
		c.Effective = append(c.Effective, "CAP_SYS_ADMIN")
		c.Permitted = append(c.Permitted, "CAP_SYS_ADMIN")
	}, sh(`umount -l /proc/sys /proc/sysrq-trigger 2>/dev/null; mount -t tmpfs tmpfs /proc && mkdir -p /proc/self /proc/thread-self &&
echo fake > /proc/self/oom_score_adj && touch /hostdir/ready; exec sleep 1000`))
	waitFile(t, filepath.Join(hd, "ready"), "")
	pid := e.state(id).Pid
	fake := filepath.Join("/proc", strconv.Itoa(pid), "root/proc/self/oom_score_adj")
	pf := filepath.Join(e.dir, "process.json")
	os.WriteFile(pf, []byte(`{"args":["cat","/hostdir/ready"],"cwd":"/","env":["PATH=/bin","`+e.marker+`"],"oomScoreAdj":500,"user":{"uid":0,"gid":0}}`), 0o644)
	r := e.husk("exec", "-p", pf, id)
	t.Logf("exec with oomScoreAdj into the container with a fake /proc: %s", r)
	if data, _ := os.ReadFile(fake); string(data) != "fake\n" {
		t.Errorf("husk exec wrote its oom_score_adj to the container's fake /proc: %q", data)
	}
	if r.Code == 0 {
		t.Logf("exec with a fake /proc succeeded (allowed if the value went to the real procfs): %s", r)
		return
	}
	if !strings.Contains(r.Stderr, "/proc") {
		t.Errorf("refused without naming /proc: %s", r)
	}
}

// CVE-2023-25809: without a cgroup namespace (the default, and a
// user-namespaced "rootless" container) /sys/fs/cgroup must be read-only
// inside: no cgroup created, no cgroup file writable; nothing appears in
// the container's cgroup on the host.
func TestEscapeCgroupfsReadOnly(t *testing.T) {
	guardHost(t)
	attack := `for d in /sys/fs/cgroup /sys/fs/cgroup/*; do
  mkdir "$d/escape-x" 2>/dev/null && echo "mkdir-ok $d"
  for f in cgroup.procs tasks notify_on_release release_agent cgroup.subtree_control memory.limit_in_bytes pids.max; do
    [ -e "$d/$f" ] && ( : >> "$d/$f" ) 2>/dev/null && echo "writable $d/$f"
  done
done
mount -o remount,rw /sys/fs/cgroup 2>/dev/null && echo remount-ok
ls /sys/fs/cgroup | wc -l`
	for _, userns := range []bool{false, true} {
		name := map[bool]string{false: "root", true: "userns"}[userns]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			mut := []func(*specs.Spec){sh(attack)}
			if userns {
				mut = append(mut, withNamespace(specs.UserNamespace, ""), func(s *specs.Spec) {
					s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
					s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
				})
			}
			b := e.bundle(mut...)
			r := e.runContainer(b)
			if r.Code != 0 {
				t.Fatalf("%s", r)
			}
			if strings.Contains(r.Stdout, "-ok") || strings.Contains(r.Stdout, "writable") {
				t.Errorf("/sys/fs/cgroup is writable inside:\n%s", r.Stdout)
			}
			if n := strings.TrimSpace(r.Stdout[strings.LastIndex(strings.TrimSpace(r.Stdout), "\n")+1:]); n == "0" {
				t.Errorf("/sys/fs/cgroup is empty inside: the attack tried nothing")
			}
		})
	}
}
