// Package initplan defines the init plan: the message the Go parent sends over
// the init pipe to the re-exec'd `husk init`, whose C constructor
// (libcontainer/nsenter) executes it op by op and execs the payload without
// ever starting the Go runtime.
//
// The parent decides everything (order, flags, resolved paths); the child
// only executes. Wire format (little endian, all lengths in bytes):
//
//	header: u32 magic "HUSK" (0x4b535548), u32 version, u32 total length, u32 op count
//	op:     u32 code, u32 arg count, then the args
//	arg:    u32 kind (1 int, 2 bytes), u32 length, payload padded to 4 bytes
//	        int: 8 bytes, two's complement; bytes: raw, strings carry a final NUL,
//	        string lists are NUL-terminated strings back to back (count = NULs)
//
// The opcode table below is mirrored in libcontainer/nsenter/plan.h; a unit
// test keeps the two in sync.
package initplan

// Magic, Version and limits of the wire format.
const (
	Magic   uint32 = 0x4b535548 // "HUSK"
	Version uint32 = 1
	// MaxLen bounds a plan; larger plans are refused by both sides
	// (CVE-2021-43784 class: no truncation, no overflow).
	MaxLen = 4 << 20
	// MaxArgs bounds the args of one op.
	MaxArgs = 16
)

// Arg kinds.
const (
	KindInt   uint32 = 1
	KindBytes uint32 = 2
)

// Op codes. The comment after each gives its args in order; s = string,
// i = int, l = string list, b = bytes.
const (
	// --- namespace stage (runs first, in the constructor) ---
	OpSetns       uint32 = 1 // i nstype (CLONE_NEW*), s path: open path, setns
	OpUnshare     uint32 = 2 // i flags: unshare(flags)
	OpUsernsSync  uint32 = 3 // (none): send SyncUsermap{pid}, wait for SyncAck (parent writes maps)
	OpTimeOffsets uint32 = 4 // s text: write to /proc/self/timens_offsets
	OpFork        uint32 = 5 // (none): clone(CLONE_PARENT); the middle sends SyncPid{pid} and exits 0, the child waits for SyncAck
	OpSetsid      uint32 = 6 // (none): setsid()
	OpDumpable    uint32 = 7 // i value: prctl(PR_SET_DUMPABLE, value)
	OpNetnsFd     uint32 = 8 // reserved: join a netns from a passed fd

	// --- rootfs stage ---
	OpHostname    uint32 = 20 // s name: sethostname
	OpDomainname  uint32 = 21 // s name: setdomainname
	OpPrepareRoot uint32 = 22 // s rootfs (absolute host path), i propagation (MS_* for "/", 0 = MS_SLAVE|MS_REC)
	// OpMount: s source, s destination (container path), s fstype, i flags,
	// s data, i clear flags, b propagation flags (n x u64, applied in order),
	// i MOUNT_ATTR_* set, i MOUNT_ATTR_* clear, i detached mount fd (-1 none),
	// i MountOpt* bits. Binds are made with MS_BIND(|MS_REC) first and then
	// remounted with the other flags, keeping locked flags on EPERM. With a
	// detached mount fd (an idmapped mount the parent made: a bind tree, or
	// a new filesystem already carrying its flags) the init attaches that
	// mount (move_mount) instead of mounting source, and closes the fd.
	OpMount      uint32 = 23
	OpMknod      uint32 = 24 // s path, i mode (S_IF* | perm), i rdev, i uid, i gid
	OpBindDev    uint32 = 25 // s path (container), s host path: create empty file, bind-mount the host node
	OpSymlink    uint32 = 26 // s target, s link path (container): symlink, EEXIST ignored
	OpSyncHooks  uint32 = 27 // (none): send SyncHooks, wait for SyncAck whose payload is the state JSON for later hooks
	OpHook       uint32 = 28 // s kind, i index, s path, l args, l env, i timeout seconds: run with the state JSON on stdin
	OpPivotRoot  uint32 = 29 // (none): pivot_root into the prepared rootfs, detach the old root
	OpChrootMove uint32 = 30 // (none): --no-pivot: mount --move rootfs /, chroot
	OpMask       uint32 = 31 // s path: dir -> ro tmpfs, other -> bind /dev/null; missing is fine
	OpReadonly   uint32 = 32 // s path: rbind onto itself, remount ro; missing is fine
	OpSysctl     uint32 = 33 // s key (dotted), s value: write /proc/sys/<key with / >
	OpRemount    uint32 = 34 // s path (container, after pivot), i flags: MS_BIND|MS_REMOUNT|flags (keeps locked flags)
	OpMkdir      uint32 = 35 // s path (container), i mode: mkdir -p inside the rootfs
	OpConsole    uint32 = 36 // i rows, i cols, i uid, i gid, i mount /dev/console (0/1): new pty, send master with SyncConsole, slave on 0,1,2, TIOCSCTTY
	OpProcWrite  uint32 = 37 // s path (absolute, under /proc), s value: write through the init's own procfs
	OpChdirRoot  uint32 = 38 // (none): chdir("/")

	// --- process stage ---
	OpRlimit      uint32 = 50 // i resource, i soft, i hard (RLIM_INFINITY = -1)
	OpPersonality uint32 = 51 // i persona
	OpScheduler   uint32 = 52 // i policy, i nice, i priority, i flags, i runtime, i deadline, i period: sched_setattr
	OpIOPrio      uint32 = 53 // i class, i priority: ioprio_set
	OpAffinity    uint32 = 54 // b cpu mask bytes: sched_setaffinity(0)
	OpUmask       uint32 = 55 // i mode
	OpNoNewPrivs  uint32 = 56 // (none)
	OpCapBounding uint32 = 57 // i mask: drop every bounding cap not in mask
	OpUser        uint32 = 58 // i uid, i gid, b groups (n x u32), i setgroups (0/1): setgroups, setresgid, setresuid keeping caps
	OpCaps        uint32 = 59 // i effective, i permitted, i inheritable, i ambient: capset + ambient raise
	OpSeccomp     uint32 = 60 // b BPF program (n x struct sock_filter), i flags (SECCOMP_FILTER_FLAG_*), i notify (0/1): with notify, send the listener with SyncSeccomp, wait SyncAck
	OpChdir       uint32 = 61 // s cwd: chdir (created earlier by the plan)
	OpLookup      uint32 = 62 // s file, s PATH value: resolve the executable as execvp would; error names the file
	OpCloseFds    uint32 = 63 // i first: mark every fd >= first close-on-exec (internal fds are already)
	OpReady       uint32 = 64 // (none): send SyncReady
	OpWaitStart   uint32 = 65 // i fifo fd (O_PATH): open it O_WRONLY (blocks until start), keep it open until exec; errors go there
	OpExec        uint32 = 66 // l argv, l envp: execve the path found by OpLookup
	OpLabel       uint32 = 67 // s attr ("exec", "current"), s value: write /proc/thread-self/attr/<attr> (LSM)
	OpKeyring     uint32 = 68 // s name: join a new session keyring (KEYCTL_JOIN_SESSION_KEYRING)
	OpOOMScoreAdj uint32 = 69 // i value: write /proc/self/oom_score_adj
	OpDupStdio    uint32 = 70 // i fd: dup2 fd onto 0,1,2 (exec with a pre-made tty)
	OpRootHostNs  uint32 = 71 // s rootfs (absolute host path): use it in the runtime's mount namespace (no propagation change, no self-bind)
	OpChroot      uint32 = 72 // s path ("" = the prepared rootfs): chroot, chdir /
	OpCgroupSync  uint32 = 73 // (none): send SyncCgroup, wait for SyncAck (the parent joined this process to its cgroups)
	OpMemPolicy   uint32 = 74 // i mode | mode flags, b node mask (unsigned longs): set_mempolicy
	OpCgroupJoin  uint32 = 75 // i fd, s path: write "0" to a v1 "tasks" fd (moves this single-threaded process), close it; path for errors
	OpMaxOp       uint32 = 76
)

// Mount option bits (OpMount's last arg).
const (
	MountOptRecAttr   uint64 = 1 << 0 // apply attr set/clear with AT_RECURSIVE (else non-recursive)
	MountOptIDMapRec  uint64 = 1 << 1 // idmapped recursively (ridmap; informational: the parent applied it)
	MountOptFile      uint64 = 1 << 2 // destination is a file (create it empty), not a directory
	MountOptCgroupNs  uint64 = 1 << 3 // reserved
	MountOptTmpcopyup uint64 = 1 << 4 // copy the destination's old content into the new tmpfs
	MountOptNoFollow  uint64 = 1 << 5 // the source itself must not be a symlink (resolved by the parent)
)

// Sync message types (child -> parent unless noted), framed on the init pipe
// as u32 type, u32 payload length, payload.
const (
	SyncError   uint32 = 1  // payload: error text (the last thing the child says)
	SyncPid     uint32 = 2  // payload: u32 pid of the forked child (from the middle process)
	SyncUsermap uint32 = 3  // payload: u32 pid whose maps the parent must write
	SyncHooks   uint32 = 4  // mounts done: parent runs prestart + createRuntime hooks
	SyncConsole uint32 = 5  // pty master attached with SCM_RIGHTS
	SyncSeccomp uint32 = 6  // seccomp listener attached with SCM_RIGHTS
	SyncReady   uint32 = 7  // set-up done (create returns; run/exec keep reading until EOF)
	SyncAck     uint32 = 8  // parent -> child; payload depends on the request
	SyncLog     uint32 = 9  // payload: "level\x00message" debug/warning line for the parent's log
	SyncCgroup  uint32 = 10 // the parent must have joined the child to its cgroups before it acks
)

// OpNames gives each op a name for errors and debugging.
var OpNames = map[uint32]string{
	OpSetns: "setns", OpUnshare: "unshare", OpUsernsSync: "userns-sync", OpTimeOffsets: "timens-offsets",
	OpFork: "fork", OpSetsid: "setsid", OpDumpable: "dumpable", OpNetnsFd: "netns-fd",
	OpHostname: "hostname", OpDomainname: "domainname", OpPrepareRoot: "prepare-root", OpMount: "mount",
	OpMknod: "mknod", OpBindDev: "bind-dev", OpSymlink: "symlink", OpSyncHooks: "sync-hooks",
	OpHook: "hook", OpPivotRoot: "pivot-root", OpChrootMove: "chroot-move", OpMask: "mask",
	OpReadonly: "readonly", OpSysctl: "sysctl", OpRemount: "remount", OpMkdir: "mkdir",
	OpConsole: "console", OpProcWrite: "proc-write", OpChdirRoot: "chdir-root",
	OpRlimit: "rlimit", OpPersonality: "personality", OpScheduler: "scheduler", OpIOPrio: "ioprio",
	OpAffinity: "affinity", OpUmask: "umask", OpNoNewPrivs: "no-new-privs", OpCapBounding: "cap-bounding",
	OpUser: "user", OpCaps: "caps", OpSeccomp: "seccomp", OpChdir: "chdir", OpLookup: "lookup",
	OpCloseFds: "close-fds", OpReady: "ready", OpWaitStart: "wait-start", OpExec: "exec",
	OpLabel: "label", OpKeyring: "keyring", OpOOMScoreAdj: "oom-score-adj", OpDupStdio: "dup-stdio",
	OpRootHostNs: "root-host-ns", OpChroot: "chroot", OpCgroupSync: "cgroup-sync",
	OpMemPolicy: "mempolicy", OpCgroupJoin: "cgroup-join",
}
