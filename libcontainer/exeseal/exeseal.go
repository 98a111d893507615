// Package exeseal gives the init a read-only view of the husk binary, so
// that a container process reaching it through /proc/<pid>/exe (or by
// executing /proc/self/exe) cannot write the host binary (CVE-2019-5736).
//
// The first choice is a detached, lower-only overlayfs over the binary's
// directory (no copy, tens of microseconds, runc >= 1.2's method); where
// overlayfs cannot be mounted (no CAP_SYS_ADMIN, no overlay module) the
// binary is copied into a sealed memfd.
package exeseal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Method names the way the binary was sealed (for the --debug line).
type Method string

const (
	Overlayfs Method = "overlayfs"
	Memfd     Method = "memfd copy"
)

// Open returns an O_PATH (overlayfs) or sealed memfd handle on the running
// binary, close-on-exec. dummyDir is an existing directory on the host
// (the state root) used as overlayfs' second, empty-looking lower layer.
func Open(dummyDir string) (*os.File, Method, error) {
	bin, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, "", fmt.Errorf("seal husk binary: %w", err)
	}
	f, oerr := overlay(bin, dummyDir)
	if oerr == nil {
		return f, Overlayfs, nil
	}
	f, merr := memfd()
	if merr != nil {
		return nil, "", fmt.Errorf("seal husk binary: overlayfs: %v; memfd: %w", oerr, merr)
	}
	return f, Memfd, nil
}

// escape quotes overlayfs' lowerdir separators.
func escape(p string) string {
	return strings.ReplaceAll(strings.ReplaceAll(p, `\`, `\\`), `:`, `\:`)
}

// overlay mounts (without attaching it anywhere) a read-only overlayfs
// whose only layers are the binary's directory and dummyDir, and opens the
// binary in it. Overlayfs with lower layers only cannot be written and,
// unlike a read-only bind mount, cannot be remounted read-write through a
// handle on it.
func overlay(bin, dummyDir string) (*os.File, error) {
	ctx, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(ctx)
	dir, name := filepath.Split(bin)
	if dir == "" || name == "" {
		return nil, fmt.Errorf("odd binary path %q", bin)
	}
	// The binary's directory on top, so that a file called like the binary
	// in dummyDir cannot mask it.
	lower := escape(filepath.Clean(dir)) + ":" + escape(dummyDir)
	if err := unix.FsconfigSetString(ctx, "lowerdir", lower); err != nil {
		return nil, fmt.Errorf("overlay lowerdir=%s: %w", lower, err)
	}
	// xino is irrelevant here and logs to dmesg when the layers are on
	// different filesystems.
	_ = unix.FsconfigSetString(ctx, "xino", "off")
	if err := unix.FsconfigCreate(ctx); err != nil {
		return nil, fmt.Errorf("overlay create: %w", err)
	}
	mnt, err := unix.Fsmount(ctx, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return nil, fmt.Errorf("fsmount overlay: %w", err)
	}
	defer unix.Close(mnt)
	fd, err := unix.Openat(mnt, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s in overlay: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "husk-sealed:"+bin), nil
}

const mfdExec = 0x10 // MFD_EXEC (Linux 6.3), needed where vm.memfd_noexec=1

// memfd copies the binary into a memfd and seals it against writes,
// growing, shrinking and further sealing.
func memfd() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err := unix.MemfdCreate("husk_cloned:/proc/self/exe", flags|mfdExec)
	if errors.Is(err, unix.EINVAL) {
		fd, err = unix.MemfdCreate("husk_cloned:/proc/self/exe", flags)
	}
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "husk-cloned:/proc/self/exe")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("copy binary to memfd: %w", err)
	}
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal memfd: %w", err)
	}
	return f, nil
}
