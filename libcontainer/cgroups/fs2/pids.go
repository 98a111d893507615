package fs2

import (
	"errors"
	"math"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// setPids writes pids.max with runtime-spec 1.3 semantics: 0 is a limit of
// zero, a negative value is "max", an absent limit leaves the file alone.
func setPids(dir string, r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	return common.WriteFile(dir, "pids.max", common.PidsValue(*r.Pids.Limit))
}

func statPids(dir string, st *common.Stats) error {
	cur, err := common.GetUint(dir, "pids.current")
	if err != nil {
		if !common.IsNotExist(err) {
			return err
		}
		// pids controller not enabled: count cgroup.procs.
		s, err := common.ReadFile(dir, common.Procs)
		if errors.Is(err, unix.ENOTSUP) {
			s, err = common.ReadFile(dir, "cgroup.threads")
		}
		if err != nil {
			return err
		}
		st.PidsStats = common.PidsStats{Current: uint64(strings.Count(s, "\n"))}
		return nil
	}
	lim, err := common.GetUint(dir, "pids.max")
	if err != nil {
		return err
	}
	if lim == math.MaxUint64 {
		lim = 0 // "max": no limit, reported as 0 as runc does
	}
	st.PidsStats = common.PidsStats{Current: cur, Limit: lim}
	return nil
}
