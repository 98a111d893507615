// Package events is what `husk events` prints: runc's event schema (its
// types package), filled from the cgroup library's statistics.
package events

import "github.com/husk-runtime/husk/libcontainer/cgroups/common"

// Event is one JSON line: {"type":"stats"|"oom","id":...,"data":...}.
type Event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// Stats is runc's types.Stats.
type Stats struct {
	CPU               CPU                 `json:"cpu"`
	CPUSet            CPUSet              `json:"cpuset"`
	Memory            Memory              `json:"memory"`
	Pids              Pids                `json:"pids"`
	Blkio             Blkio               `json:"blkio"`
	Hugetlb           map[string]Hugetlb  `json:"hugetlb"`
	IntelRdt          IntelRdt            `json:"intel_rdt"`
	NetworkInterfaces []*NetworkInterface `json:"network_interfaces"`
}

type Hugetlb struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type BlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

type Blkio struct {
	IoServiceBytesRecursive []BlkioEntry     `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []BlkioEntry     `json:"ioServicedRecursive,omitempty"`
	IoQueuedRecursive       []BlkioEntry     `json:"ioQueueRecursive,omitempty"`
	IoServiceTimeRecursive  []BlkioEntry     `json:"ioServiceTimeRecursive,omitempty"`
	IoWaitTimeRecursive     []BlkioEntry     `json:"ioWaitTimeRecursive,omitempty"`
	IoMergedRecursive       []BlkioEntry     `json:"ioMergedRecursive,omitempty"`
	IoTimeRecursive         []BlkioEntry     `json:"ioTimeRecursive,omitempty"`
	SectorsRecursive        []BlkioEntry     `json:"sectorsRecursive,omitempty"`
	PSI                     *common.PSIStats `json:"psi,omitempty"`
}

type Pids struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

type Throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

type CPUUsage struct {
	Total        uint64   `json:"total,omitempty"`
	Percpu       []uint64 `json:"percpu,omitempty"`
	PercpuKernel []uint64 `json:"percpu_kernel,omitempty"`
	PercpuUser   []uint64 `json:"percpu_user,omitempty"`
	Kernel       uint64   `json:"kernel"`
	User         uint64   `json:"user"`
}

type CPU struct {
	Usage      CPUUsage         `json:"usage,omitzero"`
	Throttling Throttling       `json:"throttling,omitzero"`
	PSI        *common.PSIStats `json:"psi,omitempty"`
}

// CPUSet has the cgroup library's layout (runc converts it as is).
type CPUSet = common.CPUSetStats

type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type Memory struct {
	Cache     uint64            `json:"cache,omitempty"`
	Usage     MemoryEntry       `json:"usage,omitzero"`
	Swap      MemoryEntry       `json:"swap,omitzero"`
	Kernel    MemoryEntry       `json:"kernel,omitzero"`
	KernelTCP MemoryEntry       `json:"kernelTCP,omitzero"`
	Raw       map[string]uint64 `json:"raw,omitempty"`
	PSI       *common.PSIStats  `json:"psi,omitempty"`
}

// IntelRdt is empty: husk has no Intel RDT support (linux.intelRdt is
// refused), the key is kept for runc's schema.
type IntelRdt struct{}

// NetworkInterface is runc's; husk does not read the counters of the
// container's interfaces yet and reports none (null).
type NetworkInterface struct {
	Name      string
	RxBytes   uint64
	RxPackets uint64
	RxErrors  uint64
	RxDropped uint64
	TxBytes   uint64
	TxPackets uint64
	TxErrors  uint64
	TxDropped uint64
}

// FromCgroups converts the cgroup library's statistics as runc does.
func FromCgroups(cg *common.Stats) *Stats {
	var s Stats
	s.Pids = Pids{Current: cg.PidsStats.Current, Limit: cg.PidsStats.Limit}
	u := cg.CPUStats.CPUUsage
	s.CPU.Usage = CPUUsage{Total: u.TotalUsage, Percpu: u.PercpuUsage, PercpuKernel: u.PercpuUsageInKernelmode,
		PercpuUser: u.PercpuUsageInUsermode, Kernel: u.UsageInKernelmode, User: u.UsageInUsermode}
	t := cg.CPUStats.ThrottlingData
	s.CPU.Throttling = Throttling{Periods: t.Periods, ThrottledPeriods: t.ThrottledPeriods, ThrottledTime: t.ThrottledTime}
	s.CPU.PSI = cg.CPUStats.PSI
	s.CPUSet = cg.CPUSetStats
	m := cg.MemoryStats
	s.Memory = Memory{Cache: m.Cache, Usage: memEntry(m.Usage), Swap: memEntry(m.SwapUsage), Kernel: memEntry(m.KernelUsage),
		KernelTCP: memEntry(m.KernelTCPUsage), Raw: m.Stats, PSI: m.PSI}
	b := cg.BlkioStats
	s.Blkio = Blkio{IoServiceBytesRecursive: blkio(b.IoServiceBytesRecursive), IoServicedRecursive: blkio(b.IoServicedRecursive),
		IoQueuedRecursive: blkio(b.IoQueuedRecursive), IoServiceTimeRecursive: blkio(b.IoServiceTimeRecursive),
		IoWaitTimeRecursive: blkio(b.IoWaitTimeRecursive), IoMergedRecursive: blkio(b.IoMergedRecursive),
		IoTimeRecursive: blkio(b.IoTimeRecursive), SectorsRecursive: blkio(b.SectorsRecursive), PSI: b.PSI}
	s.Hugetlb = make(map[string]Hugetlb, len(cg.HugetlbStats))
	for k, v := range cg.HugetlbStats {
		s.Hugetlb[k] = Hugetlb{Usage: v.Usage, Max: v.MaxUsage, Failcnt: v.Failcnt}
	}
	return &s
}

func memEntry(d common.MemoryData) MemoryEntry {
	return MemoryEntry{Limit: d.Limit, Usage: d.Usage, Max: d.MaxUsage, Failcnt: d.Failcnt}
}

func blkio(in []common.BlkioStatEntry) []BlkioEntry {
	if in == nil {
		return nil
	}
	out := make([]BlkioEntry, len(in))
	for i, e := range in {
		out[i] = BlkioEntry{Major: e.Major, Minor: e.Minor, Op: e.Op, Value: e.Value}
	}
	return out
}
