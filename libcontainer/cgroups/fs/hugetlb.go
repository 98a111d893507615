package fs

import (
	"errors"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	"github.com/husk-runtime/husk/libcontainer/cgroups/fs2"
)

var hugetlbController = controller{
	name:  "hugetlb",
	field: common.HugetlbField,
	set:   setHugetlb,
	stats: statHugetlb,
}

// setHugetlb writes hugetlb.<size>.limit_in_bytes and, where the kernel
// has them (5.7+), the reservation limits .rsvd.limit_in_bytes with the
// same value (runtime-spec 1.3: reservation limits when supported).
func setHugetlb(dir string, r *specs.LinuxResources) error {
	rsvd := true
	for _, l := range r.HugepageLimits {
		f := "hugepageLimits[" + l.Pagesize + "]"
		if err := common.CheckPageSize(l.Pagesize); err != nil {
			return common.Field(f, err)
		}
		v := strconv.FormatUint(l.Limit, 10)
		prefix := "hugetlb." + l.Pagesize
		if err := common.WriteFile(dir, prefix+".limit_in_bytes", v); err != nil {
			return common.Field(f, err)
		}
		if !rsvd {
			continue
		}
		if err := common.WriteFile(dir, prefix+".rsvd.limit_in_bytes", v); err != nil {
			if !errors.Is(err, unix.ENOENT) {
				return common.Field(f, err)
			}
			rsvd = false
		}
	}
	return nil
}

func statHugetlb(dir string, st *common.Stats) error {
	rsvd := ".rsvd"
	for _, size := range common.HugePageSizes() {
		prefix := "hugetlb." + size
		usage, err := common.GetUint(dir, prefix+rsvd+".usage_in_bytes")
		if err != nil && rsvd != "" && errors.Is(err, unix.ENOENT) {
			rsvd = ""
			usage, err = common.GetUint(dir, prefix+".usage_in_bytes")
		}
		if err != nil {
			return err
		}
		max, err := common.GetUint(dir, prefix+rsvd+".max_usage_in_bytes")
		if err != nil {
			return err
		}
		failcnt, err := common.GetUint(dir, prefix+rsvd+".failcnt")
		if err != nil {
			return err
		}
		st.HugetlbStats[size] = common.HugetlbStats{Usage: usage, MaxUsage: max, Failcnt: failcnt}
	}
	return nil
}

// unifiedHugetlb reports whether, on a hybrid host without a v1 hugetlb
// hierarchy, the hugetlb controller is bound to the cgroup2 hierarchy (as
// on this project's test hosts), so hugepageLimits can be set there.
func (m *Manager) unifiedHugetlb() bool {
	if m.paths[Unified] == "" || m.layout.UnifiedMount == "" {
		return false
	}
	avail, err := fs2.Available(m.layout.UnifiedMount)
	return err == nil && slices.Contains(avail, "hugetlb")
}

// setUnifiedHugetlb enables hugetlb down to the container's cgroup2
// directory and writes the limits there.
func (m *Manager) setUnifiedHugetlb(limits []specs.LinuxHugepageLimit) error {
	dir := m.paths[Unified]
	if err := fs2.EnableHugetlb(m.layout.UnifiedMount, dir); err != nil {
		return common.Field("hugepageLimits", err)
	}
	return fs2.SetHugetlb(dir, limits)
}
