package fs

import (
	"math"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var pidsController = controller{
	name:  "pids",
	field: common.PidsField,
	set:   setPids,
	stats: statPids,
}

// setPids writes pids.max with runtime-spec 1.3 semantics: 0 is a limit of
// zero, a negative value is "max", an absent limit leaves the file alone.
func setPids(dir string, r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	return common.Field("pids.limit", common.WriteFile(dir, "pids.max", common.PidsValue(*r.Pids.Limit)))
}

func statPids(dir string, st *common.Stats) error {
	cur, err := common.GetUint(dir, "pids.current")
	if err != nil {
		return err
	}
	lim, err := common.GetUint(dir, "pids.max")
	if err != nil {
		return err
	}
	if lim == math.MaxUint64 {
		lim = 0 // "max" is reported as 0, as runc does
	}
	st.PidsStats = common.PidsStats{Current: cur, Limit: lim}
	return nil
}
