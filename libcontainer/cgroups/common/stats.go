package common

// The statistics schema is runc's (libcontainer/cgroups.Stats), so that
// `husk events --stats` can produce the same JSON as runc after the same
// conversion.

// ThrottlingData is CFS bandwidth throttling.
type ThrottlingData struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttled_periods,omitempty"`
	ThrottledTime    uint64 `json:"throttled_time,omitempty"` // ns
}

// BurstData is CFS burst usage.
type BurstData struct {
	BurstsPeriods uint64 `json:"bursts_periods,omitempty"`
	BurstTime     uint64 `json:"burst_time,omitempty"` // ns
}

// CPUUsage is CPU time consumed since the cgroup was created, in ns.
type CPUUsage struct {
	TotalUsage              uint64   `json:"total_usage,omitempty"`
	PercpuUsage             []uint64 `json:"percpu_usage,omitempty"`
	PercpuUsageInKernelmode []uint64 `json:"percpu_usage_in_kernelmode"`
	PercpuUsageInUsermode   []uint64 `json:"percpu_usage_in_usermode"`
	UsageInKernelmode       uint64   `json:"usage_in_kernelmode"`
	UsageInUsermode         uint64   `json:"usage_in_usermode"`
}

// PSIData is one line of a pressure file.
type PSIData struct {
	Avg10  float64 `json:"avg10"`
	Avg60  float64 `json:"avg60"`
	Avg300 float64 `json:"avg300"`
	Total  uint64  `json:"total"`
}

// PSIStats is a pressure file (cpu.pressure, memory.pressure, io.pressure).
type PSIStats struct {
	Some PSIData `json:"some,omitempty"`
	Full PSIData `json:"full,omitempty"`
}

// CPUStats groups the cpu and cpuacct data.
type CPUStats struct {
	CPUUsage       CPUUsage       `json:"cpu_usage,omitempty"`
	ThrottlingData ThrottlingData `json:"throttling_data,omitempty"`
	PSI            *PSIStats      `json:"psi,omitempty"`
	BurstData      BurstData      `json:"burst_data,omitempty"`
}

// CPUSetStats is the cpuset configuration (v1).
type CPUSetStats struct {
	CPUs                  []uint16 `json:"cpus,omitempty"`
	CPUExclusive          uint64   `json:"cpu_exclusive"`
	Mems                  []uint16 `json:"mems,omitempty"`
	MemHardwall           uint64   `json:"mem_hardwall"`
	MemExclusive          uint64   `json:"mem_exclusive"`
	MemoryMigrate         uint64   `json:"memory_migrate"`
	MemorySpreadPage      uint64   `json:"memory_spread_page"`
	MemorySpreadSlab      uint64   `json:"memory_spread_slab"`
	MemoryPressure        uint64   `json:"memory_pressure"`
	SchedLoadBalance      uint64   `json:"sched_load_balance"`
	SchedRelaxDomainLevel int64    `json:"sched_relax_domain_level"`
}

// MemoryData is usage/limit of one memory counter.
type MemoryData struct {
	Usage    uint64 `json:"usage,omitempty"`
	MaxUsage uint64 `json:"max_usage,omitempty"`
	Failcnt  uint64 `json:"failcnt"`
	Limit    uint64 `json:"limit"`
}

// MemoryStats is the memory controller data.
type MemoryStats struct {
	Cache           uint64            `json:"cache,omitempty"`
	Usage           MemoryData        `json:"usage,omitempty"`
	SwapUsage       MemoryData        `json:"swap_usage,omitempty"` // memory+swap
	SwapOnlyUsage   MemoryData        `json:"swap_only_usage,omitempty"`
	KernelUsage     MemoryData        `json:"kernel_usage,omitempty"`
	KernelTCPUsage  MemoryData        `json:"kernel_tcp_usage,omitempty"`
	PageUsageByNUMA PageUsageByNUMA   `json:"page_usage_by_numa,omitempty"`
	UseHierarchy    bool              `json:"use_hierarchy"`
	Stats           map[string]uint64 `json:"stats,omitempty"`
	PSI             *PSIStats         `json:"psi,omitempty"`
}

// PageUsageByNUMA is memory.numa_stat (v1).
type PageUsageByNUMA struct {
	PageUsageByNUMAInner
	Hierarchical PageUsageByNUMAInner `json:"hierarchical,omitempty"`
}

// PageUsageByNUMAInner is one half of memory.numa_stat.
type PageUsageByNUMAInner struct {
	Total       PageStats `json:"total,omitempty"`
	File        PageStats `json:"file,omitempty"`
	Anon        PageStats `json:"anon,omitempty"`
	Unevictable PageStats `json:"unevictable,omitempty"`
}

// PageStats is a page count, total and per node.
type PageStats struct {
	Total uint64           `json:"total,omitempty"`
	Nodes map[uint8]uint64 `json:"nodes,omitempty"`
}

// PidsStats is the pids controller data; Limit 0 means no limit.
type PidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

// BlkioStatEntry is one device counter.
type BlkioStatEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

// BlkioStats is blkio (v1) or io (v2) data in the v1 layout.
type BlkioStats struct {
	IoServiceBytesRecursive []BlkioStatEntry `json:"io_service_bytes_recursive,omitempty"`
	IoServicedRecursive     []BlkioStatEntry `json:"io_serviced_recursive,omitempty"`
	IoQueuedRecursive       []BlkioStatEntry `json:"io_queue_recursive,omitempty"`
	IoServiceTimeRecursive  []BlkioStatEntry `json:"io_service_time_recursive,omitempty"`
	IoWaitTimeRecursive     []BlkioStatEntry `json:"io_wait_time_recursive,omitempty"`
	IoMergedRecursive       []BlkioStatEntry `json:"io_merged_recursive,omitempty"`
	IoTimeRecursive         []BlkioStatEntry `json:"io_time_recursive,omitempty"`
	SectorsRecursive        []BlkioStatEntry `json:"sectors_recursive,omitempty"`
	PSI                     *PSIStats        `json:"psi,omitempty"`
	IoCostUsage             []BlkioStatEntry `json:"io_cost_usage,omitempty"`
	IoCostWait              []BlkioStatEntry `json:"io_cost_wait,omitempty"`
	IoCostIndebt            []BlkioStatEntry `json:"io_cost_indebt,omitempty"`
	IoCostIndelay           []BlkioStatEntry `json:"io_cost_indelay,omitempty"`
}

// HugetlbStats is one page size's hugetlb data.
type HugetlbStats struct {
	Usage    uint64 `json:"usage,omitempty"`
	MaxUsage uint64 `json:"max_usage,omitempty"`
	Failcnt  uint64 `json:"failcnt"`
}

// RdmaEntry is one device's RDMA counters.
type RdmaEntry struct {
	Device     string `json:"device,omitempty"`
	HcaHandles uint32 `json:"hca_handles,omitempty"`
	HcaObjects uint32 `json:"hca_objects,omitempty"`
}

// RdmaStats is the rdma controller data.
type RdmaStats struct {
	RdmaLimit   []RdmaEntry `json:"rdma_limit,omitempty"`
	RdmaCurrent []RdmaEntry `json:"rdma_current,omitempty"`
}

// MiscStats is one misc resource (v2).
type MiscStats struct {
	Usage  uint64 `json:"usage,omitempty"`
	Events uint64 `json:"events,omitempty"`
}

// Stats is everything Manager.Stats reports.
type Stats struct {
	CPUStats     CPUStats                `json:"cpu_stats,omitempty"`
	CPUSetStats  CPUSetStats             `json:"cpuset_stats,omitempty"`
	MemoryStats  MemoryStats             `json:"memory_stats,omitempty"`
	PidsStats    PidsStats               `json:"pids_stats,omitempty"`
	BlkioStats   BlkioStats              `json:"blkio_stats,omitempty"`
	HugetlbStats map[string]HugetlbStats `json:"hugetlb_stats,omitempty"` // by page size ("2MB")
	RdmaStats    RdmaStats               `json:"rdma_stats,omitempty"`
	MiscStats    map[string]MiscStats    `json:"misc_stats,omitempty"`
}

// NewStats returns a Stats with its maps allocated.
func NewStats() *Stats {
	return &Stats{
		MemoryStats:  MemoryStats{Stats: make(map[string]uint64)},
		HugetlbStats: make(map[string]HugetlbStats),
		MiscStats:    make(map[string]MiscStats),
	}
}
