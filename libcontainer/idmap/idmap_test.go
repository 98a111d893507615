package idmap

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

var oneTo1000 = []configs.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}

// children lists the processes whose parent is this test.
func children(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(unix.Gettid()) + "/children")
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}

func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestUsernsFd(t *testing.T) {
	needRoot(t)
	before := openFds(t)
	f, err := UsernsFd(oneTo1000, []configs.IDMap{{ContainerID: 0, HostID: 2000, Size: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if got := openFds(t); got != before+1 {
		t.Errorf("%d fds open, want %d", got, before+1)
	}
	// The namespace outlives its only process, which is reaped.
	if c := children(t); len(c) != 0 {
		t.Errorf("children left: %v", c)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := openFds(t); got != before {
		t.Errorf("%d fds open after close, want %d", got, before)
	}
	if _, err := UsernsFd(nil, oneTo1000); err == nil {
		t.Error("no uid mappings: no error")
	}
}

func TestDetachedBindAndTmpfs(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &configs.Config{Mounts: []*configs.Mount{
		{Source: "/", Destination: "/plain", Device: "bind", Flags: unix.MS_BIND},
		{Source: src, Destination: "/b", Device: "bind", Flags: unix.MS_BIND, UIDMappings: oneTo1000, GIDMappings: oneTo1000},
		{Source: "tmpfs", Destination: "/t", Device: "tmpfs", Flags: unix.MS_NOSUID, Data: "size=1m,mode=0700", UIDMappings: oneTo1000, GIDMappings: oneTo1000},
	}}
	if !Wanted(cfg) {
		t.Fatal("Wanted: false")
	}
	before := openFds(t)
	fds, err := Mounts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(fds) != 2 || fds[1] == nil || fds[2] == nil {
		t.Fatalf("mounts %v", fds)
	}
	if got := openFds(t); got != before+2 { // the user namespace is closed
		t.Errorf("%d fds open, want %d", got, before+2)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(int(fds[1].Fd()), "f", &st, 0); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 1000 || st.Gid != 1000 {
		t.Errorf("bind: file owned by 0 seen as %d:%d, want 1000:1000", st.Uid, st.Gid)
	}
	if err := unix.Fstat(int(fds[2].Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 1000 || st.Mode&0o7777 != 0o700 {
		t.Errorf("tmpfs root: uid %d mode %o, want 1000 0700", st.Uid, st.Mode&0o7777)
	}
	for _, f := range fds {
		f.Close()
	}
}

func TestDetachedErrors(t *testing.T) {
	needRoot(t)
	for _, tc := range []struct {
		m    configs.Mount
		want string
	}{
		{configs.Mount{Source: "proc", Destination: "/data", Device: "proc"},
			"mounts[3] (/data): idmapped mount: the filesystem (proc) does not support idmapped mounts"},
		{configs.Mount{Source: "/proc", Destination: "/p", Device: "bind", Flags: unix.MS_BIND},
			"mounts[3] (/p): idmapped mount: the filesystem (proc) does not support idmapped mounts"},
		{configs.Mount{Source: "/", Destination: "/r", Device: "bind", Flags: unix.MS_BIND | unix.MS_REC, IDMapRecursive: true},
			"or one mounted below it) does not support idmapped mounts"},
		{configs.Mount{Source: "x", Destination: "/x", Device: "nosuchfs"},
			`mounts[3] (/x): idmapped mount: unknown filesystem type "nosuchfs"`},
		{configs.Mount{Source: "tmpfs", Destination: "/t", Device: "tmpfs", Data: "nosuchoption=1"},
			"mounts[3] (/t): idmapped mount: tmpfs option nosuchoption=1: invalid argument"},
		{configs.Mount{Source: "/nonexistent", Destination: "/n", Device: "bind", Flags: unix.MS_BIND},
			"mounts[3] (/n): idmapped mount: open_tree /nonexistent: no such file or directory"},
	} {
		before := openFds(t)
		ns, err := UsernsFd(oneTo1000, oneTo1000)
		if err != nil {
			t.Fatal(err)
		}
		m := tc.m
		f, err := Detached(3, &m, int(ns.Fd()))
		ns.Close()
		if err == nil {
			f.Close()
			t.Errorf("%s: no error", m.Destination)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want %q", m.Destination, err, tc.want)
		}
		if got := openFds(t); got != before {
			t.Errorf("%s: %d fds open after the error, want %d", m.Destination, got, before)
		}
	}
}

func BenchmarkUsernsFd(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	for b.Loop() {
		f, err := UsernsFd(oneTo1000, oneTo1000)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
