package state

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Status of a container, as `state` prints it.
type Status int

const (
	Creating Status = iota
	Created
	Running
	Paused
	Stopped
)

func (s Status) String() string {
	switch s {
	case Creating:
		return "creating"
	case Created:
		return "created"
	case Running:
		return "running"
	case Paused:
		return "paused"
	default:
		return "stopped"
	}
}

// ProcStat is what husk reads from /proc/<pid>/stat.
type ProcStat struct {
	State     byte
	StartTime uint64
}

// ReadProcStat parses /proc/<pid>/stat.
func ReadProcStat(pid int) (ProcStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, err
	}
	// The command name is in parentheses and may contain anything.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return ProcStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fields := bytes.Fields(b[i+2:])
	// fields[0] is field 3 (state); start time is field 22.
	if len(fields) < 20 {
		return ProcStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	st, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return ProcStat{}, fmt.Errorf("malformed /proc/%d/stat: %w", pid, err)
	}
	return ProcStat{State: fields[0][0], StartTime: st}, nil
}

// InitAlive reports whether the container's init still runs (not gone, not
// a zombie, not a reused pid).
func (st *State) InitAlive() bool {
	if st.InitPid <= 0 {
		return false
	}
	ps, err := ReadProcStat(st.InitPid)
	if err != nil {
		return false
	}
	return ps.StartTime == st.InitStartTime && ps.State != 'Z' && ps.State != 'X'
}

// CurrentStatus derives the status from the process and the directory.
func (st *State) CurrentStatus(dir string) Status {
	if !st.InitAlive() {
		return Stopped
	}
	if st.Paused {
		return Paused
	}
	if _, err := os.Lstat(filepath.Join(dir, FifoFile)); err == nil {
		return Created
	} else if !errors.Is(err, os.ErrNotExist) {
		return Created
	}
	return Running
}
