/*
 * The process stage: limits, scheduling, credentials, capabilities,
 * seccomp, cwd, the executable lookup, the start barrier and the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *const rlimit_names[] = {
	"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
	"RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
	"RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

void op_rlimit(const struct plan_op *op)
{
	int64_t res = ARG_I(op, 0);
	struct rlimit rl = { .rlim_cur = (rlim_t)ARG_I(op, 1), .rlim_max = (rlim_t)ARG_I(op, 2) };

	if (prlimit(0, (int)res, &rl, NULL) < 0) {
		if (res >= 0 && res < (int64_t)(sizeof(rlimit_names) / sizeof(rlimit_names[0])))
			die("setrlimit %s: %s", rlimit_names[res], errtext(errno));
		die("setrlimit %lld: %s", (long long)res, errtext(errno));
	}
}

void op_personality(const struct plan_op *op)
{
	if (personality((unsigned long)ARG_I(op, 0)) < 0)
		die("personality: %s", errtext(errno));
}

/* struct sched_attr (linux/sched/types.h clashes with glibc's sched.h). */
struct sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

void op_scheduler(const struct plan_op *op)
{
	struct sched_attr a = {
		.size = sizeof(a),
		.sched_policy = (uint32_t)ARG_I(op, 0),
		.sched_nice = (int32_t)ARG_I(op, 1),
		.sched_priority = (uint32_t)ARG_I(op, 2),
		.sched_flags = (uint64_t)ARG_I(op, 3),
		.sched_runtime = (uint64_t)ARG_I(op, 4),
		.sched_deadline = (uint64_t)ARG_I(op, 5),
		.sched_period = (uint64_t)ARG_I(op, 6),
	};

	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		die("error setting scheduler: %s", errtext(errno));
}

void op_ioprio(const struct plan_op *op)
{
	long prio = (long)(ARG_I(op, 0) << 13 | ARG_I(op, 1));

	if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
		die("failed to set io priority: %s", errtext(errno));
}

void op_mempolicy(const struct plan_op *op)
{
	/* maxnode: the mask's bits; the kernel reads maxnode-1 of them */
	unsigned long maxnode = (unsigned long)ARG_LEN(op, 1) * 8 + 1;

	if (syscall(SYS_set_mempolicy, (int)ARG_I(op, 0), ARG_LEN(op, 1) ? ARG_P(op, 1) : NULL,
		    ARG_LEN(op, 1) ? maxnode : 0) < 0)
		die("set_mempolicy (linux.memoryPolicy): %s", errtext(errno));
}

void op_affinity(const struct plan_op *op)
{
	if (syscall(SYS_sched_setaffinity, 0, (size_t)ARG_LEN(op, 0), ARG_P(op, 0)) < 0)
		die("sched_setaffinity: %s", errtext(errno));
}

void op_umask(const struct plan_op *op)
{
	umask((mode_t)ARG_I(op, 0));
}

void op_no_new_privs(const struct plan_op *op)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("prctl(SET_NO_NEW_PRIVS): %s", errtext(errno));
}

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
	"CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

static const char *cap_name(int c, char buf[static 16])
{
	if (c < (int)(sizeof(cap_names) / sizeof(cap_names[0])))
		return cap_names[c];
	snprintf(buf, 16, "CAP_%d", c);
	return buf;
}

/*
 * op_cap_bounding drops every capability not in mask from the bounding
 * set; the first EINVAL marks the end of the kernel's capabilities (no
 * /proc/sys/kernel/cap_last_cap read).
 */
void op_cap_bounding(const struct plan_op *op)
{
	uint64_t mask = (uint64_t)ARG_I(op, 0);
	char buf[16];

	for (int c = 0; c < 64; c++) {
		if (mask & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			return;
		die("drop bounding capability %s: %s", cap_name(c, buf), errtext(errno));
	}
}

/*
 * op_user switches credentials: groups, gid, uid. PR_SET_KEEPCAPS keeps the
 * permitted set across the uid change so that OP_CAPS can set the final
 * sets.
 */
void op_user(const struct plan_op *op)
{
	uid_t uid = (uid_t)ARG_I(op, 0);
	gid_t gid = (gid_t)ARG_I(op, 1);

	if (ARG_I(op, 3) == 1 && setgroups(ARG_LEN(op, 2) / 4, (const gid_t *)ARG_P(op, 2)) < 0)
		die("setgroups: %s", errtext(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die("prctl(PR_SET_KEEPCAPS): %s", errtext(errno));
	if (setresgid(gid, gid, gid) < 0)
		die("setresgid %u: %s", gid, errtext(errno));
	if (setresuid(uid, uid, uid) < 0)
		die("setresuid %u: %s", uid, errtext(errno));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		die("prctl(PR_SET_KEEPCAPS): %s", errtext(errno));
}

/* op_caps sets the effective, permitted and inheritable sets, then the ambient set. */
void op_caps(const struct plan_op *op)
{
	uint64_t eff = (uint64_t)ARG_I(op, 0), perm = (uint64_t)ARG_I(op, 1);
	uint64_t inh = (uint64_t)ARG_I(op, 2), amb = (uint64_t)ARG_I(op, 3);
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};
	char buf[16];

	if (syscall(SYS_capset, &hdr, data) < 0)
		die("capset: %s", errtext(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die("clear ambient capabilities: %s", errtext(errno));
	for (int c = 0; c < 64; c++)
		if ((amb & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			sync_log("warning", "can't raise ambient capability %s: %s", cap_name(c, buf),
				 errtext(errno));
}

/*
 * op_seccomp loads the BPF program. With notify, the listener goes to the
 * parent (SyncSeccomp) and is closed here once acknowledged.
 */
void op_seccomp(const struct plan_op *op)
{
	struct sock_fprog prog = {
		.len = (unsigned short)(ARG_LEN(op, 0) / sizeof(struct sock_filter)),
		.filter = (struct sock_filter *)ARG_P(op, 0),
	};
	unsigned long flags = (unsigned long)ARG_I(op, 1);
	int notify = ARG_I(op, 2) == 1;

	if (notify)
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (fd < 0)
		die("unable to init seccomp: error loading seccomp filter into kernel: %s", errtext(errno));
	if (notify) {
		sync_request(SYNC_SECCOMP, NULL, 0, fd);
		close(fd);
	}
}

/*
 * op_chdir changes to the process cwd and checks that it is inside the
 * root: a cwd such as /proc/self/fd/N naming a leaked host directory
 * (CVE-2024-21626) makes getcwd fail with ENOENT ("(unreachable)").
 */
void op_chdir(const struct plan_op *op)
{
	const char *cwd = ARG_S(op, 0);
	char buf[PATH_MAX];

	if (chdir(cwd) < 0)
		die("chdir to cwd (\"%s\") set in config.json failed: %s", cwd, errtext(errno));
	if (getcwd(buf, sizeof(buf)) == NULL && errno == ENOENT)
		die("chdir to cwd (\"%s\") set in config.json failed: "
		    "current working directory is outside of container mount namespace root", cwd);
}

void op_chdir_root(const struct plan_op *op)
{
	if (chdir("/") < 0)
		die("chdir /: %s", errtext(errno));
}

/*
 * find_exec checks a candidate as Go's exec.LookPath does: it exists, is
 * not a directory, and is executable (eaccess; the mode bits when eaccess
 * is refused by seccomp). 0, or an errno; *stat_failed tells which step.
 */
static int find_exec(const char *file, int *stat_failed)
{
	struct stat sb;

	*stat_failed = 0;
	if (stat(file, &sb) < 0) {
		*stat_failed = 1;
		return errno;
	}
	if (S_ISDIR(sb.st_mode))
		return EISDIR;
	if (!S_ISREG(sb.st_mode))
		return EACCES;
	if (faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return errno;
	return (sb.st_mode & 0111) ? 0 : EACCES;
}

/*
 * op_lookup resolves the executable as execvp would, with runc's (Go's)
 * error texts, before the start barrier: a missing binary fails create.
 */
void op_lookup(const struct plan_op *op)
{
	const char *file = ARG_S(op, 0), *path = ARG_S(op, 1);
	int stat_failed, e;

	if (strchr(file, '/') != NULL) {
		e = find_exec(file, &stat_failed);
		if (e != 0 && stat_failed)
			die("exec: \"%s\": stat %s: %s", file, file, goerrtext(e));
		if (e != 0)
			die("exec: \"%s\": %s", file, goerrtext(e));
		if (snprintf(g.exe, sizeof(g.exe), "%s", file) >= (int)sizeof(g.exe))
			die("exec: \"%s\": %s", file, goerrtext(ENAMETOOLONG));
		g.have_exe = 1;
		return;
	}
	for (const char *dir = path; *path != '\0';) {
		const char *end = strchrnul(dir, ':');
		int n = (int)(end - dir);
		const char *d = n > 0 ? dir : ".";
		if (n == 0)
			n = 1;
		if (snprintf(g.exe, sizeof(g.exe), "%.*s/%s", n, d, file) < (int)sizeof(g.exe) &&
		    find_exec(g.exe, &stat_failed) == 0) {
			if (g.exe[0] != '/')
				die("exec: \"%s\": cannot run executable found relative to current directory", file);
			g.have_exe = 1;
			return;
		}
		if (*end == '\0')
			break;
		dir = end + 1;
	}
	die("exec: \"%s\": executable file not found in $PATH", file);
}

/* op_close_fds: every fd >= first is close-on-exec (close_range, one syscall). */
void op_close_fds(const struct plan_op *op)
{
	if (syscall(SYS_close_range, (unsigned int)ARG_I(op, 0), ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die("close_range: %s", errtext(errno));
}

/*
 * op_cgroup_join moves this process into one of the container's v1
 * cgroups: "0" written to the hierarchy's "tasks" file (opened by the
 * parent) moves the calling thread alone, which — unlike a pid written by
 * another process — skips the kernel's global threadgroup lock and the RCU
 * grace period its first write lock after a quiet period waits for
 * (milliseconds). The init is single-threaded: its one thread is all of it.
 * The kernel checks the permission against the parent's credentials (the
 * file's opener).
 */
void op_cgroup_join(const struct plan_op *op)
{
	int fd = (int)ARG_I(op, 0);
	ssize_t n = write(fd, "0", 1);

	if (n != 1)
		die("join cgroup %s: %s", ARG_S(op, 1), n < 0 ? errtext(errno) : "short write");
	close(fd);
}

/*
 * op_cgroup_sync waits until the parent has moved this process into the
 * container's cgroups: the parent does that while the init sets up the
 * rootfs, instead of before (a v1 cgroup attach may wait for an RCU grace
 * period, milliseconds here).
 */
void op_cgroup_sync(const struct plan_op *op)
{
	sync_request(SYNC_CGROUP, NULL, 0, -1);
}

void op_ready(const struct plan_op *op)
{
	if (sync_send(SYNC_READY, NULL, 0, -1) == 0)
		return;
	if (errno == EPIPE) {
		/* The parent left after OP_CGROUP_SYNC (exec into a paused
		 * container): nobody to tell; errors go to stderr from now on. */
		close(g.pipe);
		g.pipe = -1;
		return;
	}
	die("send ready to the parent: %s", errtext(errno));
}

/*
 * op_wait_start blocks until `husk start` opens the exec fifo: the O_PATH
 * fd is reopened for writing through /proc/thread-self/fd (the open blocks
 * until a reader comes). The write end stays open, close-on-exec: `husk
 * start` reads until EOF, which the payload's execve makes; anything the
 * init dies of before (a startContainer hook, the exec itself) is written
 * there instead, for `husk start` to report.
 */
void op_wait_start(const struct plan_op *op)
{
	int fifo = (int)ARG_I(op, 0);
	char rel[48];

	snprintf(rel, sizeof(rel), "thread-self/fd/%d", fifo);
	int fd = proc_open(rel, O_WRONLY, 1);
	if (fd < 0)
		die("reopen exec fifo: %s", errtext(errno));
	close(fifo);
	g.start_fd = fd;
}

/*
 * op_keyring joins a new session keyring named name, so that the
 * container does not share the runtime's, and lets its owner search it.
 * Kernels without keyrings only get a warning, as with runc.
 */
void op_keyring(const struct plan_op *op)
{
	const char *name = ARG_S(op, 0);
	char desc[512];

	long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name[0] ? name : NULL);
	if (id < 0 && errno == ENOSYS) {
		sync_log("warning", "KeyctlJoinSessionKeyring: %s", errtext(errno));
		return;
	}
	if (id < 0)
		die("unable to join session keyring: %s", errtext(errno));
	/* "type;uid;gid;perm;description": add KEY_USR_SEARCH to perm. */
	long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof(desc) - 1);
	if (n < 0)
		die("unable to mod keyring permissions: %s", errtext(errno));
	desc[n < (long)sizeof(desc) ? n : (long)sizeof(desc) - 1] = '\0';
	const char *p = desc;
	for (int i = 0; i < 3 && p != NULL; i++)
		p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL;
	if (p == NULL)
		die("unable to mod keyring permissions: unexpected description %s", desc);
	unsigned long perm = strtoul(p, NULL, 16) | 0x80000;
	if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm) < 0)
		die("unable to mod keyring permissions: %s", errtext(errno));
}

void op_dup_stdio(const struct plan_op *op)
{
	int fd = (int)ARG_I(op, 0);

	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			die("dup2 %d onto %d: %s", fd, i, errtext(errno));
	if (fd > 2)
		close(fd);
}

/* op_exec: execve the executable found by OP_LOOKUP (argv[0] without one). */
void op_exec(const struct plan_op *op)
{
	char **argv = list_vector(ARG_P(op, 0), ARG_LEN(op, 0));
	char **envp = list_vector(ARG_P(op, 1), ARG_LEN(op, 1));

	execve(g.have_exe ? g.exe : argv[0], argv, envp);
	die("exec: \"%s\": %s", argv[0], goerrtext(errno));
}
