package integration

// Escape tests of the path classes: a path inside the container's rootfs
// or procfs that is a symlink (or has something mounted over it) so that
// the runtime's mount or write lands on the host. See security_test.go.

import (
	"os"
	"path/filepath"
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
// open writes nothing. Nothing goes to /dev/null: in these tests it may be
// the attacker's symlink to core_pattern, when the runtime under test is
// vulnerable (runc 1.1.5 wrote the host's core_pattern that way).
func probeWritable(files ...string) string {
	return "for f in " + strings.Join(files, " ") + "; do [ -e $f ] && ( : >> $f ) 2>&- && echo $f-writable; done; true"
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
