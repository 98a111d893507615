package common

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Procs is the file listing a cgroup's processes (v1 and v2).
const Procs = "cgroup.procs"

// WriteProcs moves pid into the cgroup dir. EINVAL (the task is still being
// created, TASK_NEW) is retried a few times, for at most ~150 ms.
func WriteProcs(dir string, pid int) error {
	if dir == "" {
		return fmt.Errorf("cgroups: no directory to add pid %d to", pid)
	}
	fd, err := OpenFile(dir, Procs, unix.O_WRONLY)
	if err != nil {
		return fmt.Errorf("cgroups: add pid %d: %w", pid, err)
	}
	defer unix.Close(fd)
	s := strconv.Itoa(pid)
	for i := 0; ; i++ {
		err = writeFd(fd, dir+"/"+Procs, s)
		if err == nil || !errors.Is(err, unix.EINVAL) || i == 5 {
			break
		}
		time.Sleep(30 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("cgroups: add pid %d: %w", pid, err)
	}
	return nil
}

// ReadPids returns the processes of the cgroup dir (not of its children).
// A threaded v2 cgroup is read through cgroup.threads.
func ReadPids(dir string) ([]int, error) {
	s, err := ReadFile(dir, Procs)
	if errors.Is(err, unix.ENOTSUP) {
		s, err = ReadFile(dir, "cgroup.threads")
	}
	if err != nil {
		return nil, err
	}
	var pids []int
	err = ForEachLine(s, func(line string) error {
		pid, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			return &ParseError{Path: dir, File: Procs, Err: err}
		}
		pids = append(pids, pid)
		return nil
	})
	return pids, err
}

// AllPids returns the processes of dir and of all its sub-cgroups. Sub-cgroups
// removed during the walk are ignored; a missing dir is an error.
func AllPids(dir string) ([]int, error) {
	var pids []int
	err := walk(dir, true, func(d string) error {
		p, err := ReadPids(d)
		if err != nil {
			if d != dir && IsNotExist(err) {
				return nil
			}
			return err
		}
		pids = append(pids, p...)
		return nil
	})
	return pids, err
}

// walk calls f for dir and every directory below it (pre-order).
func walk(dir string, top bool, f func(string) error) error {
	if err := f(dir); err != nil {
		return err
	}
	subs, err := SubDirs(dir)
	if err != nil {
		if !top && IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, s := range subs {
		if err := walk(dir+"/"+s, false, f); err != nil {
			return err
		}
	}
	return nil
}

// SubDirs lists the names of the sub-directories (sub-cgroups) of dir.
func SubDirs(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// rmdir removes an empty cgroup, retrying EBUSY (processes that are about to
// vanish) with backoff when retry is set: at most 10 tries, ~1 s in all.
func rmdir(path string, retry bool) error {
	delay := time.Millisecond
	for tries := 0; ; {
		err := unix.Rmdir(path)
		switch err { //nolint:errorlint // bare errno
		case nil, unix.ENOENT:
			return nil
		case unix.EINTR:
			continue
		case unix.EBUSY:
			if retry && tries < 10 {
				time.Sleep(delay)
				delay *= 2
				tries++
				continue
			}
		}
		return &os.PathError{Op: "rmdir", Path: path, Err: err}
	}
}

// RemovePath removes the cgroup dir and every sub-cgroup below it. A missing
// dir is not an error.
func RemovePath(dir string) error {
	if err := rmdir(dir, false); err == nil {
		return nil
	}
	subs, err := SubDirs(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, s := range subs {
		if err := RemovePath(dir + "/" + s); err != nil {
			return err
		}
	}
	return rmdir(dir, true)
}

// RemovePaths removes every directory of paths (each once: co-mounted
// controllers share one). It tries all of them and reports what is left.
func RemovePaths(paths map[string]string) error {
	var failed []string
	done := make(map[string]bool, len(paths))
	for _, dir := range paths {
		if dir == "" || done[dir] {
			continue
		}
		done[dir] = true
		if err := RemovePath(dir); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if failed != nil {
		return errors.New("cgroups: failed to remove: " + strings.Join(failed, "; "))
	}
	return nil
}

// CheckSubPath validates a sub-cgroup path given to Join: relative, without
// ".." elements. It returns the cleaned path ("" for the cgroup itself).
func CheckSubPath(sub string) (string, error) {
	for _, e := range strings.Split(sub, "/") {
		if e == ".." {
			return "", fmt.Errorf("cgroups: sub-cgroup path %q must not contain \"..\"", sub)
		}
	}
	s := CleanPath(strings.TrimPrefix(sub, "/"))
	if s == "." {
		s = ""
	}
	return s, nil
}

// Mkdir creates dir, and its missing parents, with mode 0755. It returns the
// directories it created, deepest last, and whether dir already existed.
func Mkdir(dir string) (created []string, existed bool, err error) {
	err = unix.Mkdir(dir, 0o755)
	switch err { //nolint:errorlint // bare errno
	case nil:
		return []string{dir}, false, nil
	case unix.EEXIST:
		return nil, true, nil
	case unix.ENOENT:
		parent := filepath.Dir(dir)
		if parent == dir || parent == "/" || parent == "." {
			break
		}
		created, _, err = Mkdir(parent)
		if err != nil {
			return created, false, err
		}
		if err = unix.Mkdir(dir, 0o755); err == nil {
			return append(created, dir), false, nil
		}
		if err == unix.EEXIST { //nolint:errorlint // bare errno
			return created, true, nil
		}
	}
	return created, false, &os.PathError{Op: "mkdir", Path: dir, Err: err}
}

// RemoveCreated removes directories returned by Mkdir, deepest first, on
// the error path of Apply. Failures are ignored.
func RemoveCreated(dirs []string) {
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = unix.Rmdir(dirs[i])
	}
}
