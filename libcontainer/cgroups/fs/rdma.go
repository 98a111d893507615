package fs

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var rdmaController = controller{
	name:  "rdma",
	field: common.RdmaField,
	set:   func(dir string, r *specs.LinuxResources) error { return common.SetRdma(dir, r.Rdma) },
	stats: common.RdmaStatsOf,
}
