package integration

// Escape tests of the path classes: a path inside the container's rootfs
// or procfs that is a symlink (or has something mounted over it) so that
// the runtime's mount or write lands on the host. See security_test.go.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// withoutMount removes the config's mounts at dest and below it.
func withoutMount(dest string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		var ms []specs.Mount
		for _, m := range s.Mounts {
			if m.Destination != dest && !strings.HasPrefix(m.Destination, dest+"/") {
				ms = append(ms, m)
			}
		}
		s.Mounts = ms
	}
}

// withMountFirst puts a mount right after the config's mount at after
// (so that it lands on what that mount made, before anything else).
func withMountAfter(after string, m specs.Mount) func(*specs.Spec) {
	return func(s *specs.Spec) {
		for i, x := range s.Mounts {
			if x.Destination == after {
				s.Mounts = append(s.Mounts[:i+1], append([]specs.Mount{m}, s.Mounts[i+1:]...)...)
				return
			}
		}
		s.Mounts = append(s.Mounts, m)
	}
}

// hostileDev is a host directory bind-mounted as the container's /dev
// (so that husk does not make /dev itself): it holds what the attack
// needs, a ptmx symlink and a pts directory for a devpts, and a real null
// node unless links names one ("null": "" for none).
func (e *env) hostileDev(t *testing.T, links map[string]string) string {
	t.Helper()
	d := e.hostDir("dev-" + randHex(3))
	for _, sub := range []string{"pts", "shm", "mqueue"} {
		os.Mkdir(filepath.Join(d, sub), 0o755)
	}
	if _, ok := links["ptmx"]; !ok {
		links["ptmx"] = "pts/ptmx"
	}
	if _, ok := links["null"]; !ok {
		if err := unix.Mknod(filepath.Join(d, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range links {
		if name == "null" && target == "" {
			continue
		}
		if err := os.Symlink(target, filepath.Join(d, name)); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// probeWritable prints "<file>-writable" for each file the container can
// open for writing (busybox's test -w says yes to root for everything); the
// open writes nothing.
func probeWritable(files ...string) string {
	return "for f in " + strings.Join(files, " ") + "; do [ -e $f ] && ( : >> $f ) 2>/dev/null && echo $f-writable; done; true"
}

// withDevBind replaces the config's /dev tmpfs with a bind of dir.
func withDevBind(dir string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		for i, m := range s.Mounts {
			if m.Destination == "/dev" {
				s.Mounts[i] = specs.Mount{Destination: "/dev", Type: "bind", Source: dir, Options: []string{"rbind", "nosuid"}}
			}
		}
	}
}

// CVE-2025-31133: the container's /dev/null is a symlink to
// /proc/sys/kernel/core_pattern; masking a file bind-mounts "/dev/null"
// over it and would give the container a writable core_pattern (a host
// root shell at the next crash). husk opens /dev/null without following
// it and checks it is the char device 1:3.
func TestEscapeMaskedPathDevNullSymlink(t *testing.T) {
	guardHost(t)
	for name, target := range map[string]string{
		"absolute": "/proc/sys/kernel/core_pattern",
		"relative": "../proc/sys/kernel/core_pattern",
		"sysrq":    "/proc/sysrq-trigger",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			dev := e.hostileDev(t, map[string]string{"null": target})
			b := e.bundle(withDevBind(dev), func(s *specs.Spec) {
				s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/etc/passwd") // a file that exists
			}, sh(probeWritable("/etc/passwd", "/proc/sys/kernel/core_pattern")))
			r := e.runContainer(b)
			if r.Code == 0 {
				t.Fatalf("a /dev/null symlinked to %s was used for masking: %s", target, r)
			}
			if !strings.Contains(r.Stderr, "/dev/null") {
				t.Errorf("refused without naming /dev/null: %s", r)
			}
		})
	}
	// Not a char device 1:3 (a regular file, /dev/zero's node): refused too.
	for name, mk := range map[string]func(p string) error{
		"regular file": func(p string) error { return os.WriteFile(p, nil, 0o666) },
		"device 1:5":   func(p string) error { return unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 5))) },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			dev := e.hostileDev(t, map[string]string{"null": ""})
			if err := mk(filepath.Join(dev, "null")); err != nil {
				t.Fatal(err)
			}
			b := e.bundle(withDevBind(dev), func(s *specs.Spec) {
				s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/etc/passwd")
			})
			e.mustFail([]string{"/dev/null", "not a character device 1:3"}, "run", "--bundle", b.Dir, e.id())
		})
	}
	// Without a /dev mount the rootfs's own dev/null is replaced by the
	// real node before any mask uses it: the attack has no effect.
	t.Run("rootfs dev/null", func(t *testing.T) {
		e := newEnv(t)
		b := e.bundleRW(withoutMount("/dev"), func(s *specs.Spec) {
			s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/etc/passwd")
		}, sh("stat -c '%F %t:%T' /dev/null /etc/passwd; "+probeWritable("/proc/sys/kernel/core_pattern")))
		os.Remove(filepath.Join(b.Rootfs, "dev/null"))
		if err := os.Symlink("/proc/sys/kernel/core_pattern", filepath.Join(b.Rootfs, "dev/null")); err != nil {
			t.Fatal(err)
		}
		r := e.runContainer(b)
		if r.Code != 0 {
			if !strings.Contains(r.Stderr, "/dev/null") {
				t.Errorf("refused without naming /dev/null: %s", r)
			}
			return
		}
		if want := "character special file 1:3\ncharacter special file 1:3\n"; r.Stdout != want {
			t.Errorf("/dev/null and the masked /etc/passwd inside: %q, want %q", r.Stdout, want)
		}
	})
}

// consoleProbe prints what the container's /dev/console is and whether
// /proc/sysrq-trigger is still procfs's and read-only.
var consoleProbe = "stat -c '%F %t' /dev/console; tty; " + probeWritable("/proc/sysrq-trigger", "/proc/sys/kernel/core_pattern") +
	"; for f in /proc/sysrq-trigger /proc/sys/kernel/core_pattern; do [ ! -e $f ] || [ \"$(stat -f -c %T $f)\" = proc ] || echo $f-not-procfs; done"

// runConsole runs a terminal container through a console socket and
// returns the runtime's result and what the container printed on the pty.
func (e *env) runConsole(t *testing.T, b *bundle) (result, string) {
	t.Helper()
	cs := e.consoleSocket()
	id := e.id()
	r := e.husk("create", "--bundle", b.Dir, "--console-socket", cs.Path, id)
	if r.Code != 0 {
		return r, ""
	}
	tty := readTTY(cs.master(t))
	e.mustHusk("start", id)
	out := tty.wait(t)
	e.waitStatus(id, "stopped")
	e.mustHusk("delete", id)
	return r, out
}

// checkConsole: /dev/console is a devpts char device (major 136 = 0x88),
// the pty is /dev/pts/N, /proc/sysrq-trigger (when the kernel has it) and
// core_pattern are procfs's and not writable.
func checkConsole(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != "character special file 88" || !strings.HasPrefix(lines[1], "/dev/pts/") {
		t.Errorf("inside: %q, want /dev/console a char device 136:N, a /dev/pts/N tty, sysrq-trigger and core_pattern procfs's and read-only", out)
	}
}

// CVE-2025-52565: /dev/console (or /dev/pts/N) replaced by a symlink
// before the console bind mount; the pty would be mounted over its target
// (e.g. /proc/sysrq-trigger, leaving it writable). husk removes what is at
// /dev/console without following it and mounts the pty peer by fd.
// See also TestTerminalConsoleSize, TestRunForegroundTerminal.
func TestEscapeConsoleSymlink(t *testing.T) {
	guardHost(t)
	t.Run("default /dev", func(t *testing.T) {
		e := newEnv(t)
		r, out := e.runConsole(t, e.bundle(func(s *specs.Spec) { s.Process.Terminal = true }, sh(consoleProbe)))
		if r.Code != 0 {
			t.Fatalf("%s", r)
		}
		checkConsole(t, out)
	})
	for name, target := range map[string]string{
		"console->sysrq-trigger": "/proc/sysrq-trigger",
		"console->core_pattern":  "../proc/sys/kernel/core_pattern",
		"console->pts/0":         "pts/0",
		"console->host path":     "HOSTCANARY",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if target == "HOSTCANARY" {
				target = e.hostCanary("console")
			}
			dev := e.hostileDev(t, map[string]string{"console": target})
			b := e.bundle(withDevBind(dev), func(s *specs.Spec) { s.Process.Terminal = true }, sh(consoleProbe))
			r, out := e.runConsole(t, b)
			if r.Code != 0 {
				if !strings.Contains(r.Stderr, "console") {
					t.Errorf("refused without naming /dev/console: %s", r)
				}
				return
			}
			checkConsole(t, out)
		})
	}
	// /dev/ptmx pointing out of the container's devpts: refused (the pty
	// would be someone else's, e.g. a host terminal reachable in the rootfs).
	t.Run("ptmx->null", func(t *testing.T) {
		e := newEnv(t)
		dev := e.hostileDev(t, map[string]string{"ptmx": "null"}) // a char device, not a devpts one
		b := e.bundle(withDevBind(dev), func(s *specs.Spec) { s.Process.Terminal = true }, sh(consoleProbe))
		cs := e.consoleSocket()
		e.mustFail([]string{"/dev/ptmx", "devpts"}, "create", "--bundle", b.Dir, "--console-socket", cs.Path, e.id())
	})
}

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

// CVE-2021-30465, CVE-2024-45310: a mount destination (or /dev) is an
// absolute or ".." symlink to a host path, or has a dangling symlink
// component. Destinations are resolved inside the rootfs: the host canary
// directory is never written to or mounted over, and a dangling component
// is created inside the rootfs. See also TestMountDestinationInsideRootfs.
func TestEscapeMountDestSymlink(t *testing.T) {
	guardHost(t)
	cases := []struct {
		name, link string
		target     func(canary string) string
		dest       string
		inside     string // where the mount must appear inside ("" = refused is fine too)
	}{
		{"absolute", "/abs", func(c string) string { return c }, "/abs", ""},
		{"absolute below", "/abs", func(c string) string { return c }, "/abs/x/y", ""},
		{"dotdot", "/up", func(c string) string { return "../../../../../../../../../.." + c }, "/up/x", ""},
		{"dotdot in a subdir", "/mnt/a/up", func(c string) string { return "../../../../../../../../../.." + c }, "/mnt/a/up", ""},
		{"dangling", "/dangle", func(string) string { return "/nonexistent/deep" }, "/dangle/m", "/nonexistent/deep/m"},
		{"dev", "/dev", func(c string) string { return c }, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			canary := e.hostCanaryDir("dest")
			var mut []func(*specs.Spec)
			if c.dest != "" {
				mut = append(mut, func(s *specs.Spec) {
					s.Mounts = append(s.Mounts, specs.Mount{Destination: c.dest, Type: "tmpfs", Source: "tmpfs"})
				})
			}
			mut = append(mut, sh("grep -E ' (/nonexistent/deep/m|/dev) ' /proc/self/mountinfo | cut -d' ' -f5"))
			b := e.bundleRW(mut...)
			link := filepath.Join(b.Rootfs, c.link)
			os.RemoveAll(link)
			if err := os.Symlink(c.target(canary), link); err != nil {
				t.Fatal(err)
			}
			r := e.runContainer(b)
			if r.Code != 0 {
				t.Logf("refused (allowed): %s", r)
				if c.inside != "" {
					t.Errorf("a dangling symlink component must resolve inside the rootfs, not fail: %s", r)
				}
				return
			}
			if c.inside != "" && !strings.Contains(r.Stdout, c.inside+"\n") {
				t.Errorf("mount not at %s inside: %s", c.inside, r)
			}
			if c.inside != "" {
				if _, err := os.Stat(filepath.Join(b.Rootfs, c.inside)); err != nil {
					t.Errorf("dangling component not created inside the rootfs: %v", err)
				}
			}
		})
	}
	// A file bind-mounted on a destination that is a symlink to a host
	// file that does not exist: the host file is not created.
	t.Run("file destination", func(t *testing.T) {
		e := newEnv(t)
		canaryFile := e.hostCanary("file")
		src := filepath.Join(e.dir, "src-file")
		os.WriteFile(src, []byte("x"), 0o644)
		b := e.bundleRW(withBind(src, "/etc/escape"))
		if err := os.Symlink(canaryFile, filepath.Join(b.Rootfs, "etc/escape")); err != nil {
			t.Fatal(err)
		}
		if r := e.runContainer(b); r.Code != 0 {
			t.Logf("refused (allowed): %s", r)
		}
	})
}

// CVE-2024-45310 / "racing mkdir": while husk creates a missing mount
// destination, something sharing the rootfs (another container with it
// bind-mounted, a host process) keeps swapping a path component between a
// directory and a symlink to a host directory. Whatever wins each race,
// nothing is created in or mounted over the host directory.
func TestEscapeMountDestRace(t *testing.T) {
	guardHost(t)
	e := newEnv(t)
	canary := e.hostCanaryDir("race")
	b := e.bundleRW(func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/race/a/b", Type: "tmpfs", Source: "tmpfs"})
	})
	race, other := filepath.Join(b.Rootfs, "race"), filepath.Join(b.Rootfs, "race-other")
	if err := os.Mkdir(race, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(canary, other); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	swaps := 0
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if unix.Renameat2(unix.AT_FDCWD, race, unix.AT_FDCWD, other, unix.RENAME_EXCHANGE) == nil {
				swaps++
			}
			// a fresh directory every time: created components must be made again
			if fi, err := os.Lstat(race); err == nil && fi.IsDir() {
				os.RemoveAll(filepath.Join(race, "a"))
			}
		}
	}()
	ok, failed := 0, 0
	deadline := time.Now().Add(4 * time.Second)
	for i := 0; i < 30 && time.Now().Before(deadline); i++ {
		if r := e.runContainer(b); r.Code == 0 {
			ok++
		} else {
			failed++
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d runs succeeded, %d were refused, %d swaps", ok, failed, swaps)
	// the directory half of the swap may hold what husk made: inside the rootfs
	for _, p := range []string{race, other} {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			os.RemoveAll(filepath.Join(p, "a"))
		}
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
