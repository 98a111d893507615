package fs2

import (
	"errors"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

func setHugetlb(dir string, r *specs.LinuxResources) error {
	return SetHugetlb(dir, r.HugepageLimits)
}

// SetHugetlb writes hugetlb.<size>.max and, where the kernel has them
// (5.7+), the reservation limits hugetlb.<size>.rsvd.max with the same
// value: runtime-spec 1.3 asks for reservation limits when supported.
func SetHugetlb(dir string, limits []specs.LinuxHugepageLimit) error {
	rsvd := true
	for _, l := range limits {
		f := "hugepageLimits[" + l.Pagesize + "]"
		if err := common.CheckPageSize(l.Pagesize); err != nil {
			return common.Field(f, err)
		}
		v := strconv.FormatUint(l.Limit, 10)
		prefix := "hugetlb." + l.Pagesize
		if err := common.WriteFile(dir, prefix+".max", v); err != nil {
			return common.Field(f, err)
		}
		if !rsvd {
			continue
		}
		if err := common.WriteFile(dir, prefix+".rsvd.max", v); err != nil {
			if !errors.Is(err, unix.ENOENT) {
				return common.Field(f, err)
			}
			rsvd = false
		}
	}
	return nil
}

// HugetlbStats reads the hugetlb usage of dir (reservations when the
// kernel has them), for every huge page size of the host.
func HugetlbStats(dir string, st *common.Stats) error {
	rsvd := ".rsvd"
	for _, size := range common.HugePageSizes() {
		prefix := "hugetlb." + size
		usage, err := common.GetUint(dir, prefix+rsvd+".current")
		if err != nil && rsvd != "" && errors.Is(err, unix.ENOENT) {
			rsvd = ""
			usage, err = common.GetUint(dir, prefix+".current")
		}
		if err != nil {
			return err
		}
		failcnt, err := common.GetKeyValue(dir, prefix+".events", "max")
		if err != nil {
			return err
		}
		st.HugetlbStats[size] = common.HugetlbStats{Usage: usage, Failcnt: failcnt}
	}
	return nil
}
