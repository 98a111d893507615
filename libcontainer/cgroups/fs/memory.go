package fs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var memoryController = controller{
	name:  "memory",
	field: common.MemoryField,
	set:   setMemory,
	stats: statMemory,
}

const (
	memLimit   = "memory.limit_in_bytes"
	memswLimit = "memory.memsw.limit_in_bytes"
)

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
		if err := checkUsage(dir, limit, swap); err != nil {
			return err
		}
	}
	if err := setMemoryAndSwap(dir, limit, swap, mem.Swap != nil); err != nil {
		return err
	}
	if mem.Reservation != nil && *mem.Reservation != 0 {
		v := strconv.FormatInt(*mem.Reservation, 10)
		if err := common.WriteFile(dir, "memory.soft_limit_in_bytes", v); err != nil {
			return common.Field("memory.reservation", err)
		}
	}
	if mem.DisableOOMKiller != nil {
		v := "0"
		if *mem.DisableOOMKiller {
			v = "1"
		}
		if err := common.WriteFile(dir, "memory.oom_control", v); err != nil {
			return common.Field("memory.disableOOMKiller", err)
		}
	}
	// -1 (as uint64) means unset, as in runc.
	if sw := mem.Swappiness; sw != nil && *sw != math.MaxUint64 {
		if *sw > 100 {
			return common.Fieldf("memory.swappiness", "invalid value %d (valid range is 0-100)", *sw)
		}
		if err := common.WriteFile(dir, "memory.swappiness", strconv.FormatUint(*sw, 10)); err != nil {
			return common.Field("memory.swappiness", err)
		}
	}
	if mem.UseHierarchy != nil {
		v := "0"
		if *mem.UseHierarchy {
			v = "1"
		}
		if err := common.WriteFile(dir, "memory.use_hierarchy", v); err != nil {
			if errors.Is(err, unix.EINVAL) && v == "0" {
				return common.Fieldf("memory.useHierarchy", "this kernel only supports hierarchical accounting: %w", err)
			}
			return common.Field("memory.useHierarchy", err)
		}
	}
	return nil
}

// setMemoryAndSwap writes memory.limit_in_bytes and memsw.limit_in_bytes.
// The kernel insists on limit <= memsw at every moment, so the order
// depends on the current limit (as runc): when memsw grows past the current
// limit (or becomes unlimited) it goes first, else the limit goes first. If
// the kernel still says EINVAL, the other order is tried.
func setMemoryAndSwap(dir string, limit, swap int64, swapGiven bool) error {
	hasMemsw := common.PathExists(dir + "/" + memswLimit)
	if limit == -1 && !swapGiven && hasMemsw {
		// Unlimited memory without a swap value: unlimited memsw too.
		swap = -1
	}
	if swap != 0 && !hasMemsw {
		if swap == -1 {
			swap = 0 // unlimited is what we have without swap accounting
		} else {
			return common.Fieldf("memory.swap", "swap accounting is not enabled in this kernel (%s is missing; boot with swapaccount=1)", memswLimit)
		}
	}
	if limit > 0 && swap > 0 && swap < limit {
		return common.Fieldf("memory.swap", "memory+swap limit %d must be >= the memory limit %d", swap, limit)
	}
	if limit == 0 || swap == 0 {
		err := writeMemLimit(dir, limit)
		if errors.Is(err, unix.EINVAL) && hasMemsw && limit > 0 {
			if cur, rerr := common.GetUint(dir, memswLimit); rerr == nil && cur < uint64(limit) {
				return common.Fieldf("memory.limit", "%d is above the current memory+swap limit %d; give memory.swap too: %w", limit, cur, err)
			}
		}
		if err != nil {
			return err
		}
		return writeSwapLimit(dir, swap)
	}
	cur, err := common.GetUint(dir, memLimit)
	if err != nil {
		return common.Field("memory.limit", err)
	}
	swapFirst := swap == -1 || cur < uint64(swap)
	err = writeBoth(dir, limit, swap, swapFirst)
	if err != nil && errors.Is(err, unix.EINVAL) {
		err = writeBoth(dir, limit, swap, !swapFirst)
	}
	return err
}

func writeBoth(dir string, limit, swap int64, swapFirst bool) error {
	if swapFirst {
		if err := writeSwapLimit(dir, swap); err != nil {
			return err
		}
		return writeMemLimit(dir, limit)
	}
	if err := writeMemLimit(dir, limit); err != nil {
		return err
	}
	return writeSwapLimit(dir, swap)
}

func writeMemLimit(dir string, v int64) error {
	if v == 0 {
		return nil
	}
	err := common.WriteFile(dir, memLimit, strconv.FormatInt(v, 10))
	if errors.Is(err, unix.EBUSY) {
		// The kernel could not reclaim down to the new limit.
		usage, _ := common.GetUint(dir, "memory.usage_in_bytes")
		peak, _ := common.GetUint(dir, "memory.max_usage_in_bytes")
		return common.Fieldf("memory.limit", "unable to set memory limit to %d (current usage: %d, peak usage: %d): %w", v, usage, peak, err)
	}
	return common.Field("memory.limit", err)
}

func writeSwapLimit(dir string, v int64) error {
	if v == 0 {
		return nil
	}
	return common.Field("memory.swap", common.WriteFile(dir, memswLimit, strconv.FormatInt(v, 10)))
}

// checkUsage implements memory.checkBeforeUpdate (best effort).
func checkUsage(dir string, limit, swap int64) error {
	if limit > 0 {
		if u, err := common.GetUint(dir, "memory.usage_in_bytes"); err == nil && uint64(limit) <= u {
			return common.Fieldf("memory.limit", "rejecting memory limit %d: current usage is %d (checkBeforeUpdate)", limit, u)
		}
	}
	if swap > 0 {
		if u, err := common.GetUint(dir, "memory.memsw.usage_in_bytes"); err == nil && uint64(swap) <= u {
			return common.Fieldf("memory.swap", "rejecting memory+swap limit %d: current usage is %d (checkBeforeUpdate)", swap, u)
		}
	}
	return nil
}

func statMemory(dir string, st *common.Stats) error {
	s, err := common.ReadFile(dir, "memory.stat")
	if err != nil {
		return err
	}
	ms := &st.MemoryStats
	err = common.ForEachLine(s, func(line string) error {
		k, v, err := common.ParseKeyValue(line)
		if err != nil {
			return &common.ParseError{Path: dir, File: "memory.stat", Err: err}
		}
		ms.Stats[k] = v
		return nil
	})
	if err != nil {
		return err
	}
	ms.Cache = ms.Stats["cache"]
	if ms.Usage, err = memoryData(dir, "memory"); err != nil {
		return err
	}
	// memsw and kmem are optional in the kernel.
	if ms.SwapUsage, err = memoryData(dir, "memory.memsw"); err != nil && !common.IsNotExist(err) {
		return err
	}
	if ms.SwapUsage.Usage >= ms.Usage.Usage {
		ms.SwapOnlyUsage = common.MemoryData{Usage: ms.SwapUsage.Usage - ms.Usage.Usage}
	}
	if ms.KernelUsage, err = memoryData(dir, "memory.kmem"); err != nil && !common.IsNotExist(err) {
		return err
	}
	if ms.KernelTCPUsage, err = memoryData(dir, "memory.kmem.tcp"); err != nil && !common.IsNotExist(err) {
		return err
	}
	if v, err := common.GetUint(dir, "memory.use_hierarchy"); err == nil {
		ms.UseHierarchy = v == 1
	}
	if numa, err := common.ReadFile(dir, "memory.numa_stat"); err == nil {
		if ms.PageUsageByNUMA, err = parseNUMAStat(numa); err != nil {
			return &common.ParseError{Path: dir, File: "memory.numa_stat", Err: err}
		}
	}
	return nil
}

// memoryData reads <prefix>.{usage_in_bytes,max_usage_in_bytes,failcnt,
// limit_in_bytes}; a missing limit (kmem on new kernels) is left 0.
func memoryData(dir, prefix string) (common.MemoryData, error) {
	var d common.MemoryData
	var err error
	if d.Usage, err = common.GetUint(dir, prefix+".usage_in_bytes"); err != nil {
		return common.MemoryData{}, err
	}
	if d.MaxUsage, err = common.GetUint(dir, prefix+".max_usage_in_bytes"); err != nil {
		return common.MemoryData{}, err
	}
	if d.Failcnt, err = common.GetUint(dir, prefix+".failcnt"); err != nil {
		return common.MemoryData{}, err
	}
	if d.Limit, err = common.GetUint(dir, prefix+".limit_in_bytes"); err != nil && !common.IsNotExist(err) {
		return common.MemoryData{}, err
	}
	return d, nil
}

// parseNUMAStat parses memory.numa_stat lines like
// "total=123 N0=100 N1=23" and "hierarchical_anon=5 N0=5".
func parseNUMAStat(s string) (common.PageUsageByNUMA, error) {
	var u common.PageUsageByNUMA
	err := common.ForEachLine(s, func(line string) error {
		cols := strings.Fields(line)
		name, total, ok := strings.Cut(cols[0], "=")
		if !ok {
			return nil // non-standard lines (numa_locality ...)
		}
		var ps *common.PageStats
		switch name {
		case "total":
			ps = &u.Total
		case "file":
			ps = &u.File
		case "anon":
			ps = &u.Anon
		case "unevictable":
			ps = &u.Unevictable
		case "hierarchical_total":
			ps = &u.Hierarchical.Total
		case "hierarchical_file":
			ps = &u.Hierarchical.File
		case "hierarchical_anon":
			ps = &u.Hierarchical.Anon
		case "hierarchical_unevictable":
			ps = &u.Hierarchical.Unevictable
		default:
			return nil
		}
		t, err := strconv.ParseUint(total, 10, 64)
		if err != nil {
			return err
		}
		ps.Total, ps.Nodes = t, map[uint8]uint64{}
		for _, c := range cols[1:] {
			k, v, ok := strings.Cut(c, "=")
			if !ok || len(k) < 2 || k[0] != 'N' {
				return fmt.Errorf("malformed line %q", line)
			}
			n, err := strconv.ParseUint(k[1:], 10, 8)
			if err != nil {
				return err
			}
			if ps.Nodes[uint8(n)], err = strconv.ParseUint(v, 10, 64); err != nil {
				return err
			}
		}
		return nil
	})
	return u, err
}
