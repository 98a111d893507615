package fs2

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// v2Value formats a limit for a .max/.low/.high file: -1 is "max".
func v2Value(v int64) string {
	if v == -1 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

func setMemory(dir string, r *specs.LinuxResources) error {
	mem := r.Memory
	if mem == nil {
		return nil
	}
	var limit, swap int64
	if mem.Limit != nil {
		limit = *mem.Limit
	}
	if mem.Swap != nil {
		swap = *mem.Swap
	}
	if mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate {
		if err := checkUsage(dir, "memory.current", limit, swap); err != nil {
			return err
		}
	}
	// memory.swap.max first, as runc: the two are independent in v2.
	if mem.Swap != nil || limit == -1 {
		v, err := common.SwapToV2(swap, limit)
		if err != nil {
			return common.Field("memory.swap", err)
		}
		s := ""
		switch {
		case v != 0:
			s = v2Value(v)
		case swap > 0: // swap == limit: no swap at all
			s = "0"
		}
		if s != "" {
			err := common.WriteFile(dir, "memory.swap.max", s)
			// Without swap accounting, "max" and "0" are what we have anyway.
			if err != nil && !(errors.Is(err, unix.ENOENT) && (s == "max" || s == "0")) {
				return common.Field("memory.swap", err)
			}
		}
	}
	if limit != 0 {
		if err := common.WriteFile(dir, "memory.max", v2Value(limit)); err != nil {
			return common.Field("memory.limit", err)
		}
	}
	if mem.Reservation != nil && *mem.Reservation != 0 {
		if err := common.WriteFile(dir, "memory.low", v2Value(*mem.Reservation)); err != nil {
			return common.Field("memory.reservation", err)
		}
	}
	if mem.Swappiness != nil && *mem.Swappiness != math.MaxUint64 {
		logrus.Warn("linux.resources.memory.swappiness is ignored: cgroup v2 has no per-cgroup swappiness")
	}
	if mem.DisableOOMKiller != nil && *mem.DisableOOMKiller {
		logrus.Warn("linux.resources.memory.disableOOMKiller is ignored: cgroup v2 cannot disable the OOM killer")
	}
	if mem.UseHierarchy != nil && !*mem.UseHierarchy {
		logrus.Warn("linux.resources.memory.useHierarchy=false is ignored: cgroup v2 is always hierarchical")
	}
	return nil
}

// checkUsage implements memory.checkBeforeUpdate: a new limit at or below
// the current usage is refused rather than making the kernel reclaim or OOM.
// It is best effort: an unreadable usage lets the update through.
func checkUsage(dir, file string, limit, swap int64) error {
	if limit <= 0 && swap <= 0 {
		return nil
	}
	usage, err := common.GetUint(dir, file)
	if err != nil {
		return nil //nolint:nilerr // best effort, as runc
	}
	if swap > 0 && uint64(swap) <= usage {
		return common.Fieldf("memory.swap", "rejecting memory+swap limit %d: current usage is %d (checkBeforeUpdate)", swap, usage)
	}
	if limit > 0 && uint64(limit) <= usage {
		return common.Fieldf("memory.limit", "rejecting memory limit %d: current usage is %d (checkBeforeUpdate)", limit, usage)
	}
	return nil
}

func statMemory(dir string, st *common.Stats) error {
	s, err := common.ReadFile(dir, "memory.stat")
	if err != nil {
		return err
	}
	err = common.ForEachLine(s, func(line string) error {
		k, v, err := common.ParseKeyValue(line)
		if err != nil {
			return &common.ParseError{Path: dir, File: "memory.stat", Err: err}
		}
		st.MemoryStats.Stats[k] = v
		return nil
	})
	if err != nil {
		return err
	}
	st.MemoryStats.Cache = st.MemoryStats.Stats["file"]
	st.MemoryStats.UseHierarchy = true
	usage, err := memoryData(dir, "memory")
	if err != nil {
		return err
	}
	st.MemoryStats.Usage = usage
	swapOnly, err := memoryData(dir, "memory.swap")
	if err != nil && !common.IsNotExist(err) {
		return err
	}
	st.MemoryStats.SwapOnlyUsage = swapOnly
	// v1 compatibility: swap usage is memory+swap.
	sw := swapOnly
	sw.Usage += usage.Usage
	if sw.Limit != math.MaxUint64 {
		sw.Limit += usage.Limit
	}
	sw.MaxUsage = 0
	st.MemoryStats.SwapUsage = sw
	if ev, err := common.ReadFile(dir, "memory.events"); err == nil {
		st.MemoryStats.Usage.Failcnt, _, _ = common.KeyValue(ev, "max")
	}
	return nil
}

func memoryData(dir, prefix string) (common.MemoryData, error) {
	var d common.MemoryData
	var err error
	if d.Usage, err = common.GetUint(dir, prefix+".current"); err != nil {
		return d, err
	}
	if d.Limit, err = common.GetUint(dir, prefix+".max"); err != nil {
		return d, err
	}
	// .peak: memory since 5.19, swap since 6.5.
	if d.MaxUsage, err = common.GetUint(dir, prefix+".peak"); err != nil && !common.IsNotExist(err) {
		return d, fmt.Errorf("cgroups: %w", err)
	}
	return d, nil
}
