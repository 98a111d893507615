package fs2

// Device access on cgroup v2 is an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup (see
// deviceFilter for what it decides, bpf.go for the system calls). A new
// program is attached with BPF_F_ALLOW_MULTI next to the previous one,
// which is then detached: the cgroup is never without a filter during an
// update.

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func setDevices(dir string, r *specs.LinuxResources) error {
	insns, err := deviceFilter(r.Devices)
	if err != nil {
		return err
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer unix.Close(fd)
	old, err := deviceProgramIDs(fd)
	if err != nil {
		return fmt.Errorf("query the device programs of %s: %w", dir, err)
	}
	prog, err := loadDeviceProgram(insns)
	if err != nil {
		return fmt.Errorf("load the device filter: %w", err)
	}
	defer unix.Close(prog)
	if err := attachDeviceProgram(fd, prog); err != nil {
		return fmt.Errorf("attach the device filter to %s: %w", dir, err)
	}
	var errs []error
	for _, id := range old {
		pfd, err := deviceProgramFd(id)
		if err != nil {
			if !errors.Is(err, unix.ENOENT) {
				errs = append(errs, err)
			}
			continue
		}
		err = detachDeviceProgram(fd, pfd)
		unix.Close(pfd)
		if err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("detach the previous device filter of %s: %w", dir, errors.Join(errs...))
	}
	return nil
}
