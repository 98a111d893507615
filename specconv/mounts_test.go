package specconv

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

func TestMountOptsTableSorted(t *testing.T) {
	names := KnownMountOptions()
	if !sort.StringsAreSorted(names) {
		t.Fatal("mountOpts is not sorted: lookupMountOpt's binary search needs it")
	}
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Fatalf("duplicate option %q", names[i])
		}
	}
	for _, n := range names {
		if o, ok := lookupMountOpt(n); !ok || o.name != n {
			t.Errorf("lookup(%q) failed", n)
		}
	}
	for _, n := range []string{"", "a", "zzz", "mode=755", "RO", "acl"} {
		if _, ok := lookupMountOpt(n); ok {
			t.Errorf("lookup(%q) succeeded", n)
		}
	}
}

func TestParseMountOptions(t *testing.T) {
	type want struct {
		flags, clear uintptr
		prop         []uintptr
		set, clr     uint64
		data         string
		ext          uint32
		idmap, rec   bool
	}
	for _, tc := range []struct {
		opts []string
		want want
	}{
		{nil, want{}},
		{[]string{"ro"}, want{flags: unix.MS_RDONLY}},
		{[]string{"ro", "rw"}, want{clear: unix.MS_RDONLY}},
		{[]string{"rw", "ro"}, want{flags: unix.MS_RDONLY}},
		{[]string{"nosuid", "suid"}, want{clear: unix.MS_NOSUID}},
		{[]string{"nodev", "noexec", "nosuid"}, want{flags: unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOSUID}},
		{[]string{"dev", "exec", "suid"}, want{clear: unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOSUID}},
		{[]string{"sync"}, want{flags: unix.MS_SYNCHRONOUS}},
		{[]string{"sync", "async"}, want{clear: unix.MS_SYNCHRONOUS}},
		{[]string{"dirsync"}, want{flags: unix.MS_DIRSYNC}},
		{[]string{"remount"}, want{flags: unix.MS_REMOUNT}},
		{[]string{"mand"}, want{flags: unix.MS_MANDLOCK}},
		{[]string{"nomand"}, want{clear: unix.MS_MANDLOCK}},
		{[]string{"noatime", "nodiratime"}, want{flags: unix.MS_NOATIME | unix.MS_NODIRATIME}},
		{[]string{"atime", "diratime"}, want{clear: unix.MS_NOATIME | unix.MS_NODIRATIME}},
		{[]string{"relatime"}, want{flags: unix.MS_RELATIME}},
		{[]string{"norelatime"}, want{clear: unix.MS_RELATIME}},
		{[]string{"strictatime"}, want{flags: unix.MS_STRICTATIME}},
		{[]string{"nostrictatime"}, want{clear: unix.MS_STRICTATIME}},
		{[]string{"lazytime"}, want{flags: unix.MS_LAZYTIME}},
		{[]string{"nolazytime"}, want{clear: unix.MS_LAZYTIME}},
		{[]string{"iversion"}, want{flags: unix.MS_I_VERSION}},
		{[]string{"noiversion"}, want{clear: unix.MS_I_VERSION}},
		{[]string{"silent"}, want{flags: unix.MS_SILENT}},
		{[]string{"loud"}, want{clear: unix.MS_SILENT}},
		{[]string{"nosymfollow"}, want{flags: unix.MS_NOSYMFOLLOW}},
		{[]string{"symfollow"}, want{clear: unix.MS_NOSYMFOLLOW}},
		{[]string{"bind"}, want{flags: unix.MS_BIND}},
		{[]string{"rbind"}, want{flags: unix.MS_BIND | unix.MS_REC}},
		{[]string{"defaults"}, want{}},
		{[]string{"private"}, want{prop: []uintptr{unix.MS_PRIVATE}}},
		{[]string{"rprivate"}, want{prop: []uintptr{unix.MS_PRIVATE | unix.MS_REC}}},
		{[]string{"shared", "rslave"}, want{prop: []uintptr{unix.MS_SHARED, unix.MS_SLAVE | unix.MS_REC}}},
		{[]string{"rshared", "slave"}, want{prop: []uintptr{unix.MS_SHARED | unix.MS_REC, unix.MS_SLAVE}}},
		{[]string{"unbindable", "runbindable"}, want{prop: []uintptr{unix.MS_UNBINDABLE, unix.MS_UNBINDABLE | unix.MS_REC}}},
		{[]string{"rro"}, want{set: unix.MOUNT_ATTR_RDONLY, rec: true}},
		{[]string{"rro", "rrw"}, want{clr: unix.MOUNT_ATTR_RDONLY, rec: true}},
		{[]string{"rnosuid", "rnodev", "rnoexec"}, want{set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC, rec: true}},
		{[]string{"rsuid", "rdev", "rexec"}, want{clr: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC, rec: true}},
		{[]string{"rnoatime"}, want{set: unix.MOUNT_ATTR_NOATIME, clr: unix.MOUNT_ATTR__ATIME, rec: true}},
		{[]string{"rstrictatime"}, want{set: unix.MOUNT_ATTR_STRICTATIME, clr: unix.MOUNT_ATTR__ATIME, rec: true}},
		{[]string{"rrelatime"}, want{clr: unix.MOUNT_ATTR__ATIME, rec: true}},
		{[]string{"ratime"}, want{clr: unix.MOUNT_ATTR_NOATIME | unix.MOUNT_ATTR__ATIME, rec: true}},
		{[]string{"rnodiratime"}, want{set: unix.MOUNT_ATTR_NODIRATIME, rec: true}},
		{[]string{"rdiratime"}, want{clr: unix.MOUNT_ATTR_NODIRATIME, rec: true}},
		{[]string{"rnosymfollow"}, want{set: unix.MOUNT_ATTR_NOSYMFOLLOW, rec: true}},
		{[]string{"rsymfollow"}, want{clr: unix.MOUNT_ATTR_NOSYMFOLLOW, rec: true}},
		{[]string{"tmpcopyup"}, want{ext: configs.ExtTmpcopyup}},
		{[]string{"idmap"}, want{idmap: true}},
		{[]string{"mode=755", "nosuid", "size=64k", "acl", "foo"}, want{flags: unix.MS_NOSUID, data: "mode=755,size=64k,acl,foo"}},
		{[]string{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}, want{data: "newinstance,ptmxmode=0666,mode=0620,gid=5"}},
	} {
		r, err := parseMountOptions(at{"mounts", 0}, tc.opts)
		if err != nil {
			t.Fatalf("%v: %v", tc.opts, err)
		}
		m := r.m
		got := want{flags: m.Flags, clear: m.ClearFlags, prop: m.PropagationFlags, set: m.RecAttrSet, clr: m.RecAttrClr,
			data: m.Data, ext: m.Extensions, idmap: r.idmap, rec: r.recAttr}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v:\n got %+v\nwant %+v", tc.opts, got, tc.want)
		}
	}
	r, _ := parseMountOptions(at{"mounts", 0}, []string{"ridmap"})
	if !r.idmap || !r.m.IDMapRecursive {
		t.Errorf("ridmap: %+v", r)
	}
	r, _ = parseMountOptions(at{"mounts", 0}, []string{"ridmap", "idmap"})
	if !r.idmap || r.m.IDMapRecursive {
		t.Errorf("ridmap,idmap: %+v", r)
	}
	if _, err := parseMountOptions(at{"mounts", 0}, []string{"ro", "a\x00"}); err == nil ||
		err.Error() != "mounts[0].options[1]: must not contain a NUL byte" {
		t.Errorf("NUL: %v", err)
	}
}

func TestConvertMounts(t *testing.T) {
	b := newBundle(t)
	real, _ := filepath.EvalSymlinks(b)
	os.WriteFile(filepath.Join(b, "file"), nil, 0o644)
	s := baseSpec()
	s.Mounts = []specs.Mount{
		{Destination: "/a/../b/", Type: "bind", Source: "file"},
		{Destination: "c", Type: "none", Source: "/tmp", Options: []string{"rbind", "ro", "rprivate"}},
		{Destination: "/d", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "mode=1777"}},
		{Destination: "/e", Source: "/tmp", Options: []string{"bind", "idmap"},
			UIDMappings: []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}},
			GIDMappings: []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}},
	}
	c, err := ToConfig(s, Options{Bundle: b})
	if err != nil {
		t.Fatal(err)
	}
	m := c.Mounts
	if m[0].Destination != "/b" || m[0].Source != filepath.Join(real, "file") || m[0].Device != "bind" ||
		m[0].Flags != unix.MS_BIND {
		t.Errorf("mount 0: %+v", m[0])
	}
	if m[1].Destination != "/c" || m[1].Source != "/tmp" || m[1].Device != "bind" ||
		m[1].Flags != unix.MS_BIND|unix.MS_REC|unix.MS_RDONLY ||
		!reflect.DeepEqual(m[1].PropagationFlags, []uintptr{unix.MS_PRIVATE | unix.MS_REC}) {
		t.Errorf("mount 1: %+v", m[1])
	}
	if m[2].Extensions != configs.ExtTmpcopyup || m[2].Data != "mode=1777" || m[2].IsBind() {
		t.Errorf("mount 2: %+v", m[2])
	}
	if len(m[3].UIDMappings) != 1 || m[3].UIDMappings[0].HostID != 100000 || len(m[3].GIDMappings) != 1 {
		t.Errorf("mount 3: %+v", m[3])
	}

	// idmap without mappings takes the container's user namespace ones.
	s = baseSpec()
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 2000, Size: 10}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 3000, Size: 10}}
	s.Mounts = []specs.Mount{{Destination: "/x", Type: "bind", Source: "/tmp", Options: []string{"ridmap"}}}
	c, err = ToConfig(s, Options{Bundle: b})
	if err != nil {
		t.Fatal(err)
	}
	if x := c.Mounts[0]; !x.IDMapRecursive || x.UIDMappings[0].HostID != 2000 || x.GIDMappings[0].HostID != 3000 {
		t.Errorf("ridmap mount: %+v", x)
	}

	// Not only bind mounts: any filesystem (the kernel judges when the
	// mount is made); "idmap" is not recursive.
	s.Mounts = []specs.Mount{{Destination: "/t", Type: "tmpfs", Source: "tmpfs", Options: []string{"idmap", "size=1m"},
		UIDMappings: []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}, GIDMappings: []specs.LinuxIDMapping{{HostID: 1001, Size: 1}}}}
	c, err = ToConfig(s, Options{Bundle: b})
	if err != nil {
		t.Fatal(err)
	}
	if x := c.Mounts[0]; x.IDMapRecursive || x.IsBind() || x.Data != "size=1m" || x.UIDMappings[0].HostID != 1000 || x.GIDMappings[0].HostID != 1001 {
		t.Errorf("idmapped tmpfs: %+v", x)
	}
}

func TestMountErrors(t *testing.T) {
	one := func(m specs.Mount) func(*specs.Spec, string) {
		return func(s *specs.Spec, _ string) { s.Mounts = append(s.Mounts, m) }
	}
	maps := []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
	runErrCases(t, []errCase{
		{"no destination", Options{}, one(specs.Mount{Type: "tmpfs"}), "mounts[7].destination: must not be empty"},
		{"nul destination", Options{}, one(specs.Mount{Type: "tmpfs", Destination: "/a\x00"}),
			"mounts[7].destination: must not contain a NUL byte"},
		{"no type", Options{}, one(specs.Mount{Destination: "/x", Source: "x"}),
			"mounts[7].type: required for a mount that is not a bind mount"},
		{"bind no source", Options{}, one(specs.Mount{Destination: "/x", Type: "bind"}),
			"mounts[7].source: required for a bind mount"},
		{"bind missing source", Options{}, one(specs.Mount{Destination: "/x", Type: "none", Source: "/nonexistent", Options: []string{"rbind"}}),
			"mounts[7].source: stat /nonexistent: no such file or directory"},
		{"tmpcopyup", Options{}, one(specs.Mount{Destination: "/x", Type: "proc", Source: "proc", Options: []string{"tmpcopyup"}}),
			`mounts[7].options: tmpcopyup requires type "tmpfs"`},
		{"nul option", Options{}, one(specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"a\x00"}}),
			"mounts[7].options[0]: must not contain a NUL byte"},
		{"idmap tmpfs no maps", Options{}, one(specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"idmap"}}),
			"mounts[7].options: idmap needs uidMappings and gidMappings on the mount or a user namespace"},
		{"idmap cgroup", Options{}, one(specs.Mount{Destination: "/x", Type: "cgroup", Source: "cgroup", UIDMappings: maps, GIDMappings: maps}),
			"mounts[7].uidMappings: a cgroup mount cannot be idmapped"},
		{"ridmap cgroup2", Options{}, func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
			s.Linux.UIDMappings, s.Linux.GIDMappings = maps, maps
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "cgroup2", Source: "cgroup", Options: []string{"ridmap"}})
		}, "mounts[7].options: a cgroup2 mount cannot be idmapped"},
		{"idmap tmpcopyup", Options{}, one(specs.Mount{Destination: "/x", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"tmpcopyup", "idmap"}, UIDMappings: maps, GIDMappings: maps}),
			"mounts[7].options: tmpcopyup cannot be combined with an idmapped mount"},
		{"idmap no maps", Options{}, one(specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp", Options: []string{"idmap"}}),
			"mounts[7].options: idmap needs uidMappings and gidMappings on the mount or a user namespace"},
		{"idmap only uid", Options{}, one(specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp", UIDMappings: maps}),
			"mounts[7].gidMappings: required with uidMappings"},
		{"idmap bad map", Options{}, one(specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp",
			UIDMappings: []specs.LinuxIDMapping{{Size: 0}}, GIDMappings: maps}),
			"mounts[7].uidMappings[0].size: must not be 0"},
		{"idmap rootless", Options{Rootless: true}, func(s *specs.Spec, _ string) {
			ToRootless(s)
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp", UIDMappings: maps, GIDMappings: maps})
		}, "mounts[7].uidMappings: idmapped mounts are not supported for rootless containers"},
		{"idmap option rootless", Options{Rootless: true}, func(s *specs.Spec, _ string) {
			ToRootless(s)
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/tmp", Options: []string{"rbind", "ridmap"}})
		}, "mounts[7].options: idmapped mounts are not supported for rootless containers"},
		{"idmap only gid rootless", Options{Rootless: true}, func(s *specs.Spec, _ string) {
			ToRootless(s)
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "tmpfs", GIDMappings: maps})
		}, "mounts[7].gidMappings: idmapped mounts are not supported for rootless containers"},
		{"rootless uid option", Options{Rootless: true}, func(s *specs.Spec, _ string) {
			ToRootless(s)
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"uid=5"}})
		}, "mounts[7].options: uid=5: the id is not mapped in the user namespace of a rootless container"},
	})
}

func TestPropagationFlags(t *testing.T) {
	for name, want := range map[string]uintptr{
		"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
		"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
		"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
		"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
	} {
		if got, ok := propagationFlags(name); !ok || got != want {
			t.Errorf("%s: %#x %v", name, got, ok)
		}
	}
	for _, bad := range []string{"ro", "bind", "", "rbind"} {
		if _, ok := propagationFlags(bad); ok {
			t.Errorf("%q accepted as a propagation", bad)
		}
	}
}
