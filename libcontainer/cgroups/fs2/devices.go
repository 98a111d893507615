package fs2

// Device access on cgroup v2 is controlled by an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup.
//
// TODO: generate and attach the program (with BPF_F_ALLOW_MULTI, replacing
// the previous one on update, as runc's devicefilter). Until then a config
// with linux.resources.devices rules is refused on cgroup v2 by
// checkUnsupported, naming the field, rather than run unconfined.
