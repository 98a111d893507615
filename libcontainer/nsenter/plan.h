/* Generated from libcontainer/initplan/ops.go; plan_test.go checks that they agree. */
#ifndef HUSK_PLAN_H
#define HUSK_PLAN_H

#include <stdint.h>
#include <stddef.h>

#define PLAN_MAGIC 0x4b535548u
#define PLAN_VERSION 1u
#define PLAN_MAX_LEN (4u << 20)
#define PLAN_MAX_ARGS 16

#define KIND_INT (1)
#define KIND_BYTES (2)
#define OP_SETNS (1) /* i nstype (CLONE_NEW*), s path: open path, setns */
#define OP_UNSHARE (2) /* i flags: unshare(flags) */
#define OP_USERNS_SYNC (3) /* (none): send SyncUsermap{pid}, wait for SyncAck (parent writes maps) */
#define OP_TIME_OFFSETS (4) /* s text: write to /proc/self/timens_offsets */
#define OP_FORK (5) /* (none): clone(CLONE_PARENT); the middle sends SyncPid{pid} and exits 0, the child waits for SyncAck */
#define OP_SETSID (6) /* (none): setsid() */
#define OP_DUMPABLE (7) /* i value: prctl(PR_SET_DUMPABLE, value) */
#define OP_NETNS_FD (8) /* reserved: join a netns from a passed fd */
#define OP_HOSTNAME (20) /* s name: sethostname */
#define OP_DOMAINNAME (21) /* s name: setdomainname */
#define OP_PREPARE_ROOT (22) /* s rootfs (absolute host path), i propagation (MS_* for "/", 0 = MS_SLAVE|MS_REC) */
#define OP_MOUNT (23)
#define OP_MKNOD (24) /* s path, i mode (S_IF* | perm), i rdev, i uid, i gid */
#define OP_BIND_DEV (25) /* s path (container), s host path: create empty file, bind-mount the host node */
#define OP_SYMLINK (26) /* s target, s link path (container): symlink, EEXIST ignored */
#define OP_SYNC_HOOKS (27) /* (none): send SyncHooks, wait for SyncAck whose payload is the state JSON for later hooks */
#define OP_HOOK (28) /* s kind, i index, s path, l args, l env, i timeout seconds: run with the state JSON on stdin */
#define OP_PIVOT_ROOT (29) /* (none): pivot_root into the prepared rootfs, detach the old root */
#define OP_CHROOT_MOVE (30) /* (none): --no-pivot: mount --move rootfs /, chroot */
#define OP_MASK (31) /* s path: dir -> ro tmpfs, other -> bind /dev/null; missing is fine */
#define OP_READONLY (32) /* s path: rbind onto itself, remount ro; missing is fine */
#define OP_SYSCTL (33) /* s key (dotted), s value: write /proc/sys/<key with / > */
#define OP_REMOUNT (34) /* s path (container, after pivot), i flags: MS_BIND|MS_REMOUNT|flags (keeps locked flags) */
#define OP_MKDIR (35) /* s path (container), i mode: mkdir -p inside the rootfs */
#define OP_CONSOLE (36) /* i rows, i cols, i uid, i gid, i mount /dev/console (0/1): new pty, send master with SyncConsole, slave on 0,1,2, TIOCSCTTY */
#define OP_PROC_WRITE (37) /* s path (absolute, under /proc), s value: write through the init's own procfs */
#define OP_CHDIR_ROOT (38) /* (none): chdir("/") */
#define OP_RLIMIT (50) /* i resource, i soft, i hard (RLIM_INFINITY = -1) */
#define OP_PERSONALITY (51) /* i persona */
#define OP_SCHEDULER (52) /* i policy, i nice, i priority, i flags, i runtime, i deadline, i period: sched_setattr */
#define OP_I_O_PRIO (53) /* i class, i priority: ioprio_set */
#define OP_AFFINITY (54) /* b cpu mask bytes: sched_setaffinity(0) */
#define OP_UMASK (55) /* i mode */
#define OP_NO_NEW_PRIVS (56) /* (none) */
#define OP_CAP_BOUNDING (57) /* i mask: drop every bounding cap not in mask */
#define OP_USER (58) /* i uid, i gid, b groups (n x u32), i setgroups (0/1): setgroups, setresgid, setresuid keeping caps */
#define OP_CAPS (59) /* i effective, i permitted, i inheritable, i ambient: capset + ambient raise */
#define OP_SECCOMP (60) /* b BPF program (n x struct sock_filter), i flags (SECCOMP_FILTER_FLAG_*), i notify (0/1): with notify, send the listener with SyncSeccomp, wait SyncAck */
#define OP_CHDIR (61) /* s cwd: chdir (created earlier by the plan) */
#define OP_LOOKUP (62) /* s file, s PATH value: resolve the executable as execvp would; error names the file */
#define OP_CLOSE_FDS (63) /* i first: mark every fd >= first close-on-exec (internal fds are already) */
#define OP_READY (64) /* (none): send SyncReady */
#define OP_WAIT_START (65) /* i fifo fd (O_PATH): open it O_WRONLY (blocks until start), keep it open until exec; errors go there */
#define OP_EXEC (66) /* l argv, l envp: execve the path found by OpLookup */
#define OP_LABEL (67) /* s attr ("exec", "current"), s value: write /proc/thread-self/attr/<attr> (LSM) */
#define OP_KEYRING (68) /* s name: join a new session keyring (KEYCTL_JOIN_SESSION_KEYRING) */
#define OP_O_O_M_SCORE_ADJ (69) /* i value: write /proc/self/oom_score_adj */
#define OP_DUP_STDIO (70) /* i fd: dup2 fd onto 0,1,2 (exec with a pre-made tty) */
#define OP_ROOT_HOST_NS (71) /* s rootfs (absolute host path): use it in the runtime's mount namespace (no propagation change, no self-bind) */
#define OP_CHROOT (72) /* s path ("" = the prepared rootfs): chroot, chdir / */
#define OP_CGROUP_SYNC (73) /* (none): send SyncCgroup, wait for SyncAck (the parent joined this process to its cgroups) */
#define OP_MEM_POLICY (74) /* i mode | mode flags, b node mask (unsigned longs): set_mempolicy */
#define OP_CGROUP_JOIN (75) /* i fd, s path: write "0" to a v1 "tasks" fd (moves this single-threaded process), close it; path for errors */
#define OP_MAX_OP (76)
#define MOUNT_OPT_REC_ATTR (1ull << 0) /* apply attr set/clear with AT_RECURSIVE (else non-recursive) */
#define MOUNT_OPT_I_D_MAP_REC (1ull << 1) /* idmapped recursively (ridmap; informational: the parent applied it) */
#define MOUNT_OPT_FILE (1ull << 2) /* destination is a file (create it empty), not a directory */
#define MOUNT_OPT_CGROUP_NS (1ull << 3) /* reserved */
#define MOUNT_OPT_TMPCOPYUP (1ull << 4) /* copy the destination's old content into the new tmpfs */
#define MOUNT_OPT_NO_FOLLOW (1ull << 5) /* the source itself must not be a symlink (resolved by the parent) */
#define SYNC_ERROR (1) /* payload: error text (the last thing the child says) */
#define SYNC_PID (2) /* payload: u32 pid of the forked child (from the middle process) */
#define SYNC_USERMAP (3) /* payload: u32 pid whose maps the parent must write */
#define SYNC_HOOKS (4) /* mounts done: parent runs prestart + createRuntime hooks */
#define SYNC_CONSOLE (5) /* pty master attached with SCM_RIGHTS */
#define SYNC_SECCOMP (6) /* seccomp listener attached with SCM_RIGHTS */
#define SYNC_READY (7) /* set-up done (create returns; run/exec keep reading until EOF) */
#define SYNC_ACK (8) /* parent -> child; payload depends on the request */
#define SYNC_LOG (9) /* payload: "level\x00message" debug/warning line for the parent's log */
#define SYNC_CGROUP (10) /* the parent must have joined the child to its cgroups before it acks */

#endif
