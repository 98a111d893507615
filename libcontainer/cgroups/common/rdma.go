package common

import (
	"math"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SetRdma writes linux.resources.rdma to rdma.max (same format in v1 and v2),
// in device name order.
func SetRdma(dir string, r map[string]specs.LinuxRdma) error {
	devs := make([]string, 0, len(r))
	for d := range r {
		devs = append(devs, d)
	}
	sort.Strings(devs)
	for _, d := range devs {
		l := r[d]
		if strings.ContainsAny(d, " \n=") || d == "" {
			return Fieldf("rdma", "invalid device name %q", d)
		}
		s := d
		if l.HcaHandles != nil {
			s += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
		}
		if l.HcaObjects != nil {
			s += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
		}
		if s == d {
			continue
		}
		if err := WriteFile(dir, "rdma.max", s); err != nil {
			return Field("rdma["+d+"]", err)
		}
	}
	return nil
}

// RdmaStatsOf reads rdma.current and rdma.max; a missing file means no rdma.
func RdmaStatsOf(dir string, st *Stats) error {
	cur, err := readRdma(dir, "rdma.current")
	if err != nil {
		if IsNotExist(err) {
			return nil
		}
		return err
	}
	max, err := readRdma(dir, "rdma.max")
	if err != nil {
		return err
	}
	st.RdmaStats = RdmaStats{RdmaLimit: max, RdmaCurrent: cur}
	return nil
}

// readRdma parses lines like "mlx4_0 hca_handle=2 hca_object=max".
func readRdma(dir, file string) ([]RdmaEntry, error) {
	s, err := ReadFile(dir, file)
	if err != nil {
		return nil, err
	}
	out := []RdmaEntry{}
	_ = ForEachLine(s, func(line string) error {
		f := strings.Fields(line)
		if len(f) < 1 {
			return nil
		}
		e := RdmaEntry{Device: f[0]}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n := uint64(math.MaxUint32)
			if v != "max" {
				var err error
				if n, err = strconv.ParseUint(v, 10, 32); err != nil {
					continue
				}
			}
			switch k {
			case "hca_handle":
				e.HcaHandles = uint32(n)
			case "hca_object":
				e.HcaObjects = uint32(n)
			}
		}
		out = append(out, e)
		return nil
	})
	return out, nil
}
