// Package idmap makes the idmapped mounts of a container
// (mounts[].uidMappings/gidMappings, the "idmap" and "ridmap" options).
//
// MOUNT_ATTR_IDMAP needs CAP_SYS_ADMIN over the user namespace that owns the
// filesystem and over the one giving the mapping, and it can only be set on
// a detached mount. The init of a container with a user namespace has
// neither for a host filesystem (mount_setattr fails with EPERM), so husk
// makes the idmapped mounts itself, with the host's privileges, before the
// init starts: a user namespace per distinct mapping (a cloned child that
// only waits, killed and reaped once its namespace is open), a detached
// mount (open_tree(OPEN_TREE_CLONE) of a bind source, fsopen/fsmount of
// any other filesystem), mount_setattr(MOUNT_ATTR_IDMAP) on it. The init
// receives the mount fds and attaches them (move_mount) where the mounts
// go. Nothing here runs unless a mount asks for an idmapping.
//
// The mappings are written to the namespace's uid_map/gid_map as given
// ("containerID hostID size", as linux.uidMappings are): a file owned by
// containerID on the filesystem is seen as hostID (a host id) through the
// mount, and a file created through the mount by hostID is stored as
// containerID. With the same mappings on the mount as on the container's
// user namespace, the container sees the filesystem's ids unchanged.
package idmap

/*
#cgo CFLAGS: -Wall -Wextra -O2 -D_GNU_SOURCE
#include <stdlib.h>
#include "usernsfd.h"
*/
import "C"

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// Wanted tells whether any mount of cfg is idmapped (the only cost of this
// package when none is).
func Wanted(cfg *configs.Config) bool {
	for _, m := range cfg.Mounts {
		if IsMapped(m) {
			return true
		}
	}
	return false
}

// IsMapped tells whether the mount asks for an idmapping.
func IsMapped(m *configs.Mount) bool {
	return len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0
}

// FormatMaps renders mappings as uid_map/gid_map lines.
func FormatMaps(maps []configs.IDMap) []byte {
	var b bytes.Buffer
	for _, m := range maps {
		fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
	}
	return b.Bytes()
}

// UsernsFd returns an fd of a new user namespace with these mappings. No
// process is left in it.
func UsernsFd(uids, gids []configs.IDMap) (*os.File, error) {
	u, g := FormatMaps(uids), FormatMaps(gids)
	if len(u) == 0 || len(g) == 0 {
		return nil, fmt.Errorf("user namespace for an idmapped mount: uid and gid mappings are required")
	}
	cu, cg := C.CBytes(u), C.CBytes(g)
	defer C.free(cu)
	defer C.free(cg)
	var stage *C.char
	fd := int(C.husk_userns_fd((*C.char)(cu), C.size_t(len(u)), (*C.char)(cg), C.size_t(len(g)), (**C.char)(unsafe.Pointer(&stage))))
	if fd < 0 {
		return nil, fmt.Errorf("user namespace for an idmapped mount: %s: %w", C.GoString(stage), syscall.Errno(-fd))
	}
	return os.NewFile(uintptr(fd), "userns"), nil
}

// Mounts makes the detached idmapped mount of every idmapped entry of
// cfg.Mounts, keyed by its index. On error nothing is left open.
func Mounts(cfg *configs.Config) (_ map[int]*os.File, retErr error) {
	out := map[int]*os.File{}
	userns := map[string]*os.File{}
	defer func() {
		for _, f := range userns {
			f.Close()
		}
		if retErr != nil {
			for _, f := range out {
				f.Close()
			}
		}
	}()
	for i, m := range cfg.Mounts {
		if !IsMapped(m) {
			continue
		}
		key := string(FormatMaps(m.UIDMappings)) + ";" + string(FormatMaps(m.GIDMappings))
		ns, ok := userns[key]
		if !ok {
			var err error
			if ns, err = UsernsFd(m.UIDMappings, m.GIDMappings); err != nil {
				return nil, fmt.Errorf("%s: %w", where(i, m), err)
			}
			userns[key] = ns
		}
		f, err := Detached(i, m, int(ns.Fd()))
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

func where(i int, m *configs.Mount) string {
	return fmt.Sprintf("mounts[%d] (%s): idmapped mount", i, m.Destination)
}

// Detached makes mounts[i] as a detached mount idmapped with the user
// namespace fd userns: ridmap (m.IDMapRecursive) maps every mount of an
// rbind tree, idmap only its top.
func Detached(i int, m *configs.Mount, userns int) (*os.File, error) {
	var fd int
	var err error
	if m.IsBind() {
		flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
		if m.Flags&unix.MS_REC != 0 {
			flags |= unix.AT_RECURSIVE
		}
		if fd, err = unix.OpenTree(unix.AT_FDCWD, m.Source, flags); err != nil {
			return nil, fmt.Errorf("%s: open_tree %s: %w", where(i, m), m.Source, err)
		}
	} else if fd, err = newFS(m); err != nil {
		return nil, fmt.Errorf("%s: %w", where(i, m), err)
	}
	flags := uint(unix.AT_EMPTY_PATH)
	if m.IDMapRecursive {
		flags |= unix.AT_RECURSIVE
	}
	err = unix.MountSetattr(fd, "", flags, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns)})
	if err != nil {
		err = setattrErr(i, m, fd, err)
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), m.Destination), nil
}

func setattrErr(i int, m *configs.Mount, fd int, err error) error {
	if err != unix.EINVAL && err != unix.EOPNOTSUPP && err != unix.ENOSYS {
		return fmt.Errorf("%s: mount_setattr(MOUNT_ATTR_IDMAP): %w", where(i, m), err)
	}
	fs := m.Device
	if m.IsBind() {
		var st unix.Statfs_t
		if unix.Fstatfs(fd, &st) == nil {
			fs = fsName(st.Type)
		}
	}
	below := ""
	if m.IDMapRecursive && m.IsBind() && m.Flags&unix.MS_REC != 0 {
		below = " (or one mounted below it)"
	}
	return fmt.Errorf("%s: the filesystem (%s)%s does not support idmapped mounts: %w", where(i, m), fs, below, err)
}

// fsName names a statfs f_type for the error message.
func fsName(t int64) string {
	switch uint32(t) {
	case unix.PROC_SUPER_MAGIC:
		return "proc"
	case unix.SYSFS_MAGIC:
		return "sysfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.EXT4_SUPER_MAGIC:
		return "ext4"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlay"
	case unix.DEVPTS_SUPER_MAGIC:
		return "devpts"
	case 0x19800202: // MQUEUE_MAGIC
		return "mqueue"
	case unix.CGROUP_SUPER_MAGIC:
		return "cgroup"
	case unix.CGROUP2_SUPER_MAGIC:
		return "cgroup2"
	case unix.NFS_SUPER_MAGIC:
		return "nfs"
	case unix.FUSE_SUPER_MAGIC:
		return "fuse"
	case unix.MSDOS_SUPER_MAGIC:
		return "vfat"
	case unix.SQUASHFS_MAGIC:
		return "squashfs"
	}
	return fmt.Sprintf("type %#x", t)
}

// Superblock flags that fsconfig takes as named flags, and per-mount flags
// that become fsmount attributes.
var (
	sbFlags = []struct {
		flag uintptr
		name string
	}{
		{unix.MS_RDONLY, "ro"}, {unix.MS_SYNCHRONOUS, "sync"}, {unix.MS_DIRSYNC, "dirsync"},
		{unix.MS_LAZYTIME, "lazytime"}, {unix.MS_MANDLOCK, "mand"}, {unix.MS_SILENT, "silent"},
	}
	mntAttrs = []struct {
		flag uintptr
		attr int
	}{
		{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY}, {unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
		{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV}, {unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
		{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME}, {unix.MS_NOSYMFOLLOW, unix.MOUNT_ATTR_NOSYMFOLLOW},
	}
)

// newFS makes a new detached filesystem mount (fsopen, fsconfig, fsmount)
// with m's source, data and flags, as mount(2) would have.
func newFS(m *configs.Mount) (int, error) {
	fsfd, err := unix.Fsopen(m.Device, unix.FSOPEN_CLOEXEC)
	if err == unix.ENODEV {
		return -1, fmt.Errorf("unknown filesystem type %q", m.Device)
	} else if err != nil {
		return -1, fmt.Errorf("fsopen %s: %w", m.Device, err)
	}
	defer unix.Close(fsfd)
	fail := func(what string, err error) (int, error) {
		if msg := fsLog(fsfd); msg != "" {
			return -1, fmt.Errorf("%s %s: %w (%s)", m.Device, what, err, msg)
		}
		return -1, fmt.Errorf("%s %s: %w", m.Device, what, err)
	}
	if m.Source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", m.Source); err != nil {
			return fail("source "+m.Source, err)
		}
	}
	for _, f := range sbFlags {
		if m.Flags&f.flag != 0 {
			if err := unix.FsconfigSetFlag(fsfd, f.name); err != nil {
				return fail("option "+f.name, err)
			}
		}
	}
	if m.Data != "" {
		for _, o := range strings.Split(m.Data, ",") {
			if o == "" {
				continue
			}
			if k, v, ok := strings.Cut(o, "="); ok {
				err = unix.FsconfigSetString(fsfd, k, v)
			} else {
				err = unix.FsconfigSetFlag(fsfd, o)
			}
			if err != nil {
				return fail("option "+o, err)
			}
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fail("create", err)
	}
	attrs := 0
	for _, a := range mntAttrs {
		if m.Flags&a.flag != 0 {
			attrs |= a.attr
		}
	}
	switch {
	case m.Flags&unix.MS_NOATIME != 0:
		attrs |= unix.MOUNT_ATTR_NOATIME
	case m.Flags&unix.MS_STRICTATIME != 0:
		attrs |= unix.MOUNT_ATTR_STRICTATIME
	}
	fd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, attrs)
	if err != nil {
		return fail("fsmount", err)
	}
	return fd, nil
}

// fsLog reads the messages the filesystem left in its fs context.
func fsLog(fsfd int) string {
	var msgs []string
	buf := make([]byte, 1024)
	for range 8 {
		n, err := unix.Read(fsfd, buf)
		if err != nil || n <= 0 {
			break
		}
		msgs = append(msgs, strings.TrimSpace(string(buf[:n])))
	}
	return strings.Join(msgs, "; ")
}
