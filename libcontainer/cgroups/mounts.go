package cgroups

import (
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/fs"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs2"
	"github.com/husk-runtime/husk/libcontainer/cgroups/systemd"
)

// Mount is one step of setting up a "cgroup" mount of config.json inside
// the container, in order.
type Mount struct {
	// Source: a host directory for binds, else the fs source ("tmpfs",
	// "cgroup", "cgroup2", "systemd").
	Source string
	// Dest is relative to the mount's destination ("" is the destination
	// itself, e.g. /sys/fs/cgroup; "cpu,cpuacct" is below it).
	Dest string
	// FSType is "tmpfs", "cgroup", "cgroup2" or "bind"; "" for a symlink.
	FSType string
	// Flags are the structural mount flags (MS_BIND|MS_REC for binds,
	// MS_NOSUID|MS_NODEV|MS_NOEXEC for fresh mounts). The caller ORs in
	// the config mount's own flags (typically MS_RDONLY|MS_NOSUID|...)
	// and, for binds, applies them with a remount, as for any bind.
	Flags uintptr
	// Data is the mount data ("mode=755", "cpu,cpuacct", "name=systemd").
	Data string
	// Symlink, when set, means: create a symlink at Dest pointing to
	// Symlink (relative, e.g. "cpu" -> "cpu,cpuacct"), no mount.
	Symlink string
}

const freshFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// ContainerMounts describes what a "cgroup" mount in config.json shows
// inside the container.
//
// cgroup v1 (also hybrid hosts): a tmpfs at the destination (mode 755),
// then for each hierarchy the container is in, a directory named after the
// host mountpoint ("cpu,cpuacct", "memory", "systemd" ...) holding, without
// a cgroup namespace, a recursive bind of the container's own cgroup, or
// with one, a fresh cgroup mount of the hierarchy; co-mounted controllers
// get symlinks ("cpu" -> "cpu,cpuacct"). This is what runc does; the
// cgroup2 hierarchy of a hybrid host is not shown (runc neither). If the
// config mount is read-only, the caller remounts the tmpfs read-only last.
//
// cgroup v2: without a cgroup namespace a bind of the container's cgroup
// directory, with one a fresh cgroup2 mount.
func ContainerMounts(m Manager, cgroupns bool) []Mount {
	switch sm := m.(type) {
	case *systemd.Manager:
		m = sm.Manager // the scope's cgroup2 directory
	case *systemd.LegacyManager:
		m = sm.Manager // the scope's v1 directories
	}
	switch mm := m.(type) {
	case *fs2.Manager:
		if cgroupns {
			return []Mount{{Source: "cgroup2", FSType: "cgroup2", Flags: freshFlags}}
		}
		return []Mount{{Source: mm.Dir(), FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC}}
	case *fs.Manager:
		return v1Mounts(mm, cgroupns)
	}
	return nil
}

func v1Mounts(m *fs.Manager, cgroupns bool) []Mount {
	paths := m.Paths()
	l := m.Layout()
	out := []Mount{{Source: "tmpfs", FSType: "tmpfs", Flags: freshFlags, Data: "mode=755"}}
	names := map[string]bool{}
	var merged []string
	for i := range l.V1 {
		h := &l.V1[i]
		dir := ""
		for _, c := range h.Controllers {
			if d := paths[c]; d != "" {
				dir = d
				break
			}
		}
		if dir == "" {
			continue
		}
		name := filepath.Base(h.Mountpoint)
		names[name] = true
		if strings.Contains(name, ",") {
			merged = append(merged, name)
		}
		if cgroupns {
			src := "cgroup"
			data := strings.Join(h.Controllers, ",")
			if data == "name=systemd" {
				src = "systemd"
			}
			out = append(out, Mount{Source: src, Dest: name, FSType: "cgroup", Flags: freshFlags, Data: data})
			continue
		}
		out = append(out, Mount{Source: dir, Dest: name, FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC})
	}
	for _, mc := range merged {
		for _, ss := range strings.Split(mc, ",") {
			if !names[ss] {
				names[ss] = true
				out = append(out, Mount{Dest: ss, Symlink: mc})
			}
		}
	}
	return out
}
