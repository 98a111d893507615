package common

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// TestMode makes WriteFile create missing files and truncate existing ones,
// and log every write in TestWrites, so unit tests can use plain directories
// as fake cgroup hierarchies. Never set outside tests.
var TestMode bool

// TestWrite is one logged write (TestMode only).
type TestWrite struct{ Path, Data string }

var (
	// TestWrites logs the writes done in TestMode, in order.
	TestWrites []TestWrite
	// TestWriteErr, when set in TestMode, is consulted before each write; a
	// non-nil result is returned as the write error (e.g. unix.EINVAL).
	TestWriteErr func(path, data string) error
)

// noOpenat2 is set once openat2(2) turned out to be unavailable.
var noOpenat2 atomic.Bool

// openFile opens dir/file without following symlinks in any component. The
// paths are host cgroup paths the runtime computed itself, so this only
// guards against surprises, at no extra cost.
func openFile(path string, flags int) (int, error) {
	flags |= unix.O_CLOEXEC
	if TestMode {
		if flags&(unix.O_WRONLY|unix.O_RDWR) != 0 {
			flags |= unix.O_CREAT | unix.O_TRUNC
		}
		return retryEINTR(func() (int, error) { return unix.Open(path, flags, 0o644) })
	}
	if !noOpenat2.Load() {
		how := unix.OpenHow{Flags: uint64(flags), Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
		fd, err := retryEINTR(func() (int, error) { return unix.Openat2(unix.AT_FDCWD, path, &how) })
		if err != unix.ENOSYS && err != unix.EPERM { //nolint:errorlint // bare errno
			return fd, err
		}
		// ENOSYS: old kernel; EPERM: seccomp filter of an outer runtime.
		noOpenat2.Store(true)
	}
	return retryEINTR(func() (int, error) { return unix.Open(path, flags, 0) })
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != unix.EINTR { //nolint:errorlint // bare errno
			return n, err
		}
	}
}

// OpenFile opens the cgroup file dir/file and returns the descriptor.
func OpenFile(dir, file string, flags int) (int, error) {
	if dir == "" {
		return -1, fmt.Errorf("cgroups: no directory for %s", file)
	}
	path := dir + "/" + file
	fd, err := openFile(path, flags)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, nil
}

// ReadFile returns the content of the cgroup file dir/file.
func ReadFile(dir, file string) (string, error) {
	fd, err := OpenFile(dir, file, unix.O_RDONLY)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	return readAll(fd, dir+"/"+file)
}

func readAll(fd int, path string) (string, error) {
	var stack [512]byte
	buf := stack[:]
	n := 0
	for {
		if n == len(buf) {
			nb := make([]byte, 2*len(buf))
			copy(nb, buf)
			buf = nb
		}
		m, err := retryEINTR(func() (int, error) { return unix.Read(fd, buf[n:]) })
		if err != nil {
			return "", &os.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return string(buf[:n]), nil
		}
		n += m
	}
}

// WriteFile writes data to the cgroup file dir/file in a single write(2), as
// cgroupfs requires. The error names the path and the data.
func WriteFile(dir, file, data string) error {
	fd, err := OpenFile(dir, file, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return writeFd(fd, dir+"/"+file, data)
}

func writeFd(fd int, path, data string) error {
	if TestMode {
		if TestWriteErr != nil {
			if err := TestWriteErr(path, data); err != nil {
				return &WriteError{Path: path, Data: data, Err: err}
			}
		}
		TestWrites = append(TestWrites, TestWrite{path, data})
	}
	_, err := retryEINTR(func() (int, error) { return unix.Write(fd, []byte(data)) })
	if err != nil {
		return &WriteError{Path: path, Data: data, Err: err}
	}
	return nil
}

// WriteFileLines writes data line by line (for multi-line unified values
// such as io.max), all through one open file.
func WriteFileLines(dir, file, data string) error {
	if !strings.Contains(data, "\n") {
		return WriteFile(dir, file, data)
	}
	fd, err := OpenFile(dir, file, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, line := range strings.Split(data, "\n") {
		if line == "" {
			continue
		}
		if err := writeFd(fd, dir+"/"+file, line); err != nil {
			return err
		}
	}
	return nil
}

// WriteError is a failed write to a cgroup file.
type WriteError struct {
	Path, Data string
	Err        error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("write %q to %s: %v", e.Data, e.Path, e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }

// ParseUint parses a cgroup value: "max" (and negative values, which some
// v1 files show for "no limit") are math.MaxUint64.
func ParseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// Negative values (e.g. -1 in cfs_quota_us) mean "no limit".
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return math.MaxUint64, nil
		}
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange { //nolint:errorlint // sentinel
			return math.MaxUint64, nil
		}
		return 0, err
	}
	return v, nil
}

// GetUint reads a single-value cgroup file as uint64 ("max" → MaxUint64).
func GetUint(dir, file string) (uint64, error) {
	s, err := ReadFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := ParseUint(s)
	if err != nil {
		return 0, &ParseError{Path: dir, File: file, Err: err}
	}
	return v, nil
}

// GetInt reads a single-value cgroup file as int64.
func GetInt(dir, file string) (int64, error) {
	s, err := ReadFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, &ParseError{Path: dir, File: file, Err: err}
	}
	return v, nil
}

// GetString reads a cgroup file and trims the trailing newline.
func GetString(dir, file string) (string, error) {
	s, err := ReadFile(dir, file)
	return strings.TrimSpace(s), err
}

// ParseKeyValue parses a "key value" line of a flat-keyed file.
func ParseKeyValue(line string) (string, uint64, error) {
	k, v, ok := strings.Cut(line, " ")
	if !ok || k == "" {
		return "", 0, fmt.Errorf("line %q is not in key value format", line)
	}
	n, err := ParseUint(v)
	if err != nil {
		return "", 0, err
	}
	return k, n, nil
}

// ForEachLine calls f for every non-empty line of s.
func ForEachLine(s string, f func(line string) error) error {
	for len(s) > 0 {
		var line string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			line, s = s, ""
		}
		if line == "" {
			continue
		}
		if err := f(line); err != nil {
			return err
		}
	}
	return nil
}

// GetKeyValue returns the value of key in a flat-keyed file (memory.events,
// memory.oom_control, cgroup.events ...). A missing key is an error.
func GetKeyValue(dir, file, key string) (uint64, error) {
	s, err := ReadFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, ok, err := KeyValue(s, key)
	if err != nil {
		return 0, &ParseError{Path: dir, File: file, Err: err}
	}
	if !ok {
		return 0, &ParseError{Path: dir, File: file, Err: fmt.Errorf("no %q entry", key)}
	}
	return v, nil
}

// KeyValue finds key in the content of a flat-keyed file.
func KeyValue(content, key string) (uint64, bool, error) {
	var (
		val   uint64
		found bool
	)
	err := ForEachLine(content, func(line string) error {
		if found || !strings.HasPrefix(line, key+" ") {
			return nil
		}
		_, v, err := ParseKeyValue(line)
		val, found = v, err == nil
		return err
	})
	return val, found, err
}

// PathExists reports whether path exists.
func PathExists(path string) bool {
	return unix.Access(path, unix.F_OK) == nil
}

// IsNotExist reports whether err says a cgroup (file) is gone: ENOENT, or
// ENODEV for a file of a cgroup removed while open.
func IsNotExist(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV)
}

func formatInt(v int64) string { return strconv.FormatInt(v, 10) }
