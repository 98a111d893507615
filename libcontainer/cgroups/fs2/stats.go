package fs2

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// Stats reads every statistic the container's cgroup offers. Files of
// controllers that are not enabled are skipped.
func (m *Manager) Stats() (*common.Stats, error) {
	st := common.NewStats()
	var errs []string
	add := func(err error) {
		if err != nil && !common.IsNotExist(err) {
			errs = append(errs, err.Error())
		}
	}
	var err error
	add(statPids(m.dir, st))
	add(statMemory(m.dir, st))
	st.MemoryStats.PSI, err = statPSI(m.dir, "memory.pressure")
	add(err)
	add(statIO(m.dir, st))
	st.BlkioStats.PSI, err = statPSI(m.dir, "io.pressure")
	add(err)
	add(statCPU(m.dir, st))
	st.CPUStats.PSI, err = statPSI(m.dir, "cpu.pressure")
	add(err)
	add(HugetlbStats(m.dir, st))
	add(common.RdmaStatsOf(m.dir, st))
	add(statMisc(m.dir, st))
	if len(errs) > 0 {
		return st, fmt.Errorf("cgroups: stats of %s: %s", m.dir, strings.Join(errs, "; "))
	}
	return st, nil
}

// statPSI parses a pressure file; nil when PSI is unavailable.
func statPSI(dir, file string) (*common.PSIStats, error) {
	s, err := common.ReadFile(dir, file)
	if err != nil {
		if common.IsNotExist(err) || errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
			return nil, nil
		}
		return nil, err
	}
	var ps common.PSIStats
	err = common.ForEachLine(s, func(line string) error {
		f := strings.Fields(line)
		var d *common.PSIData
		switch {
		case len(f) == 0:
			return nil
		case f[0] == "some":
			d = &ps.Some
		case f[0] == "full":
			d = &ps.Full
		default:
			return nil
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return &common.ParseError{Path: dir, File: file, Err: fmt.Errorf("bad field %q", kv)}
			}
			var err error
			switch k {
			case "avg10":
				d.Avg10, err = strconv.ParseFloat(v, 64)
			case "avg60":
				d.Avg60, err = strconv.ParseFloat(v, 64)
			case "avg300":
				d.Avg300, err = strconv.ParseFloat(v, 64)
			case "total":
				d.Total, err = strconv.ParseUint(v, 10, 64)
			}
			if err != nil {
				return &common.ParseError{Path: dir, File: file, Err: err}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ps, nil
}

// statMisc reads misc.current and misc.events (kernel 5.13+).
func statMisc(dir string, st *common.Stats) error {
	s, err := common.ReadFile(dir, "misc.current")
	if err != nil {
		return err
	}
	err = common.ForEachLine(s, func(line string) error {
		k, v, err := common.ParseKeyValue(line)
		if err != nil {
			return &common.ParseError{Path: dir, File: "misc.current", Err: err}
		}
		e := st.MiscStats[k]
		e.Usage = v
		st.MiscStats[k] = e
		return nil
	})
	if err != nil {
		return err
	}
	for k, e := range st.MiscStats {
		// misc.events: "<resource>.max <count>"
		if v, err := common.GetKeyValue(dir, "misc.events", k+".max"); err == nil {
			e.Events = v
		}
		st.MiscStats[k] = e
	}
	return nil
}
