package fs

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var cpusetController = controller{
	name:    "cpuset",
	field:   common.CpusetField,
	prepare: prepareCpuset,
	set:     setCpuset,
	stats:   statCpuset,
}

// cpusetNoPrefix is 1 when the cpuset hierarchy is mounted with "noprefix"
// (files named "cpus" rather than "cpuset.cpus", as on Android), 2 when it
// is not, 0 before the first look.
var cpusetNoPrefix atomic.Int32

func cpusetFile(dir, name string) string {
	switch cpusetNoPrefix.Load() {
	case 1:
		return name
	case 2:
		return "cpuset." + name
	}
	if !common.PathExists(dir+"/cpuset."+name) && common.PathExists(dir+"/"+name) {
		cpusetNoPrefix.Store(1)
		return name
	}
	cpusetNoPrefix.Store(2)
	return "cpuset." + name
}

// prepareCpuset makes sure every cpuset from the hierarchy root down to dir
// has cpus and mems (a new cpuset cgroup has none, and no task can join it
// then): the container's own values when given, else a copy of the
// parent's — never inherited wholesale, which could clash with
// cpu_exclusive. Same walk as runc's cpusetEnsureParent.
func prepareCpuset(m *Manager, dir string) error {
	h := m.layout.HierarchyOf(dir)
	if h == nil {
		return fmt.Errorf("cgroups: %s is not below a cpuset hierarchy", dir)
	}
	pcpus, pmems, err := readCpuset(h.Mountpoint)
	if err != nil {
		return err
	}
	cur := h.Mountpoint
	for _, e := range strings.Split(strings.Trim(strings.TrimPrefix(dir, h.Mountpoint), "/"), "/") {
		cur += "/" + e
		if cur == dir && m.res != nil {
			if err := setCpuset(dir, m.res); err != nil {
				return err
			}
		}
		cpus, mems, err := readCpuset(cur)
		if err != nil {
			return err
		}
		if cpus == "" {
			if err := common.WriteFile(cur, cpusetFile(cur, "cpus"), pcpus); err != nil {
				return err
			}
			cpus = pcpus
		}
		if mems == "" {
			if err := common.WriteFile(cur, cpusetFile(cur, "mems"), pmems); err != nil {
				return err
			}
			mems = pmems
		}
		pcpus, pmems = cpus, mems
	}
	return nil
}

func readCpuset(dir string) (cpus, mems string, err error) {
	if cpus, err = common.GetString(dir, cpusetFile(dir, "cpus")); err != nil {
		return "", "", err
	}
	mems, err = common.GetString(dir, cpusetFile(dir, "mems"))
	return cpus, mems, err
}

func setCpuset(dir string, r *specs.LinuxResources) error {
	if r.CPU == nil {
		return nil
	}
	if r.CPU.Cpus != "" {
		if err := common.WriteFile(dir, cpusetFile(dir, "cpus"), r.CPU.Cpus); err != nil {
			return common.Field("cpu.cpus", err)
		}
	}
	if r.CPU.Mems != "" {
		if err := common.WriteFile(dir, cpusetFile(dir, "mems"), r.CPU.Mems); err != nil {
			return common.Field("cpu.mems", err)
		}
	}
	return nil
}

// ParseCPUList parses a cpuset list ("0-3,8,10-11").
func ParseCPUList(s string) ([]uint16, error) {
	var out []uint16
	s = strings.TrimSpace(s)
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("invalid range %q", part)
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, uint16(i))
		}
	}
	return out, nil
}

func statCpuset(dir string, st *common.Stats) error {
	c := &st.CPUSetStats
	list := func(name string, dst *[]uint16) error {
		s, err := common.ReadFile(dir, cpusetFile(dir, name))
		if err != nil {
			return err
		}
		v, err := ParseCPUList(s)
		if err != nil {
			return &common.ParseError{Path: dir, File: cpusetFile(dir, name), Err: err}
		}
		*dst = v
		return nil
	}
	uints := []struct {
		name string
		dst  *uint64
	}{
		{"cpu_exclusive", &c.CPUExclusive},
		{"mem_hardwall", &c.MemHardwall},
		{"mem_exclusive", &c.MemExclusive},
		{"memory_migrate", &c.MemoryMigrate},
		{"memory_spread_page", &c.MemorySpreadPage},
		{"memory_spread_slab", &c.MemorySpreadSlab},
		{"memory_pressure", &c.MemoryPressure},
		{"sched_load_balance", &c.SchedLoadBalance},
	}
	for _, err := range []error{list("cpus", &c.CPUs), list("mems", &c.Mems)} {
		if err != nil && !common.IsNotExist(err) {
			return err
		}
	}
	for _, u := range uints {
		v, err := common.GetUint(dir, cpusetFile(dir, u.name))
		if err != nil {
			if common.IsNotExist(err) {
				continue
			}
			return err
		}
		*u.dst = v
	}
	v, err := common.GetInt(dir, cpusetFile(dir, "sched_relax_domain_level"))
	if err != nil && !common.IsNotExist(err) {
		return err
	}
	c.SchedRelaxDomainLevel = v
	return nil
}
