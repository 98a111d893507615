/*
 * husk's init, in C, before the Go runtime.
 *
 * Every husk binary carries this constructor. In an ordinary husk command it
 * returns at once (one getenv). In `husk init` -- the binary re-executed by
 * the Go parent with _HUSK_INITPIPE=<fd> -- it reads the init plan from that
 * fd, validates all of it, runs its ops in order and finally execs the
 * payload; it never returns into Go. Any failure is reported to the parent
 * as a SyncError message and ends the process with _exit(1).
 *
 * Wire format: see libcontainer/initplan/ops.go. This file holds the
 * constructor, the plan reader, the decoder (side-effect free, also used by
 * the Go fuzz test through decode.go) and the dispatch loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ops.h"

struct init_state g = {
	.pipe = -1,
	.root_fd = -1,
	.proc_fd = -1,
	.devnull_fd = -1,
	.maskdir_fd = -1,
	.start_fd = -1,
};

/*
 * Argument signatures, one letter per argument: i int, s string (one final
 * NUL, none inside), l string list (empty or NUL-terminated), L non-empty
 * string list, b raw bytes, q n x u64, w n x u32, f BPF program (n x 8
 * bytes, 1..4096 instructions). "!" marks a reserved op.
 */
static const char *const op_sigs[OP_MAX_OP] = {
	[OP_SETNS] = "is",
	[OP_UNSHARE] = "i",
	[OP_USERNS_SYNC] = "",
	[OP_TIME_OFFSETS] = "s",
	[OP_FORK] = "",
	[OP_SETSID] = "",
	[OP_DUMPABLE] = "i",
	[OP_NETNS_FD] = "!",
	[OP_HOSTNAME] = "s",
	[OP_DOMAINNAME] = "s",
	[OP_PREPARE_ROOT] = "si",
	[OP_MOUNT] = "sssisiqiiii",
	[OP_MKNOD] = "siiii",
	[OP_BIND_DEV] = "ss",
	[OP_SYMLINK] = "ss",
	[OP_SYNC_HOOKS] = "",
	[OP_HOOK] = "sislli",
	[OP_PIVOT_ROOT] = "",
	[OP_CHROOT_MOVE] = "",
	[OP_MASK] = "s",
	[OP_READONLY] = "s",
	[OP_SYSCTL] = "ss",
	[OP_REMOUNT] = "si",
	[OP_MKDIR] = "si",
	[OP_CONSOLE] = "iiiii",
	[OP_PROC_WRITE] = "ss",
	[OP_CHDIR_ROOT] = "",
	[OP_RLIMIT] = "iii",
	[OP_PERSONALITY] = "i",
	[OP_SCHEDULER] = "iiiiiii",
	[OP_I_O_PRIO] = "ii",
	[OP_AFFINITY] = "b",
	[OP_UMASK] = "i",
	[OP_NO_NEW_PRIVS] = "",
	[OP_CAP_BOUNDING] = "i",
	[OP_USER] = "iiwi",
	[OP_CAPS] = "iiii",
	[OP_SECCOMP] = "fii",
	[OP_CHDIR] = "s",
	[OP_LOOKUP] = "ss",
	[OP_CLOSE_FDS] = "i",
	[OP_READY] = "",
	[OP_WAIT_START] = "i",
	[OP_EXEC] = "Ll",
	[OP_LABEL] = "ss",
	[OP_KEYRING] = "s",
	[OP_O_O_M_SCORE_ADJ] = "i",
	[OP_DUP_STDIO] = "i",
	[OP_ROOT_HOST_NS] = "s",
	[OP_CHROOT] = "s",
	[OP_CGROUP_SYNC] = "",
	[OP_MEM_POLICY] = "iq",
	[OP_CGROUP_JOIN] = "is",
};

static const char *const op_names[OP_MAX_OP] = {
	[OP_SETNS] = "setns", [OP_UNSHARE] = "unshare", [OP_USERNS_SYNC] = "userns-sync",
	[OP_TIME_OFFSETS] = "timens-offsets", [OP_FORK] = "fork", [OP_SETSID] = "setsid",
	[OP_DUMPABLE] = "dumpable", [OP_NETNS_FD] = "netns-fd", [OP_HOSTNAME] = "hostname",
	[OP_DOMAINNAME] = "domainname", [OP_PREPARE_ROOT] = "prepare-root", [OP_MOUNT] = "mount",
	[OP_MKNOD] = "mknod", [OP_BIND_DEV] = "bind-dev", [OP_SYMLINK] = "symlink",
	[OP_SYNC_HOOKS] = "sync-hooks", [OP_HOOK] = "hook", [OP_PIVOT_ROOT] = "pivot-root",
	[OP_CHROOT_MOVE] = "chroot-move", [OP_MASK] = "mask", [OP_READONLY] = "readonly",
	[OP_SYSCTL] = "sysctl", [OP_REMOUNT] = "remount", [OP_MKDIR] = "mkdir",
	[OP_CONSOLE] = "console", [OP_PROC_WRITE] = "proc-write", [OP_CHDIR_ROOT] = "chdir-root",
	[OP_RLIMIT] = "rlimit", [OP_PERSONALITY] = "personality", [OP_SCHEDULER] = "scheduler",
	[OP_I_O_PRIO] = "ioprio", [OP_AFFINITY] = "affinity", [OP_UMASK] = "umask",
	[OP_NO_NEW_PRIVS] = "no-new-privs", [OP_CAP_BOUNDING] = "cap-bounding", [OP_USER] = "user",
	[OP_CAPS] = "caps", [OP_SECCOMP] = "seccomp", [OP_CHDIR] = "chdir", [OP_LOOKUP] = "lookup",
	[OP_CLOSE_FDS] = "close-fds", [OP_READY] = "ready", [OP_WAIT_START] = "wait-start",
	[OP_EXEC] = "exec", [OP_LABEL] = "label", [OP_KEYRING] = "keyring",
	[OP_O_O_M_SCORE_ADJ] = "oom-score-adj", [OP_DUP_STDIO] = "dup-stdio",
	[OP_ROOT_HOST_NS] = "root-host-ns", [OP_CHROOT] = "chroot", [OP_CGROUP_SYNC] = "cgroup-sync",
	[OP_MEM_POLICY] = "mempolicy", [OP_CGROUP_JOIN] = "cgroup-join",
};

const char *op_name(uint32_t code)
{
	if (code < OP_MAX_OP && op_names[code] != NULL)
		return op_names[code];
	return "unknown";
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

#define BAD(...)                                                            \
	do {                                                                \
		int n_ = snprintf(err, errlen, "malformed init plan: ");    \
		if (n_ > 0 && (size_t)n_ < errlen)                           \
			snprintf(err + n_, errlen - n_, __VA_ARGS__);        \
		return -1;                                                  \
	} while (0)

/* plan_iter_init checks the header. */
int plan_iter_init(struct plan_iter *it, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	if (len < 16)
		BAD("short header (%zu bytes)", len);
	if (le32(buf) != PLAN_MAGIC)
		BAD("bad magic %#x", le32(buf));
	if (le32(buf + 4) != PLAN_VERSION)
		BAD("version %u, want %u", le32(buf + 4), PLAN_VERSION);
	if (le32(buf + 8) != len || len > PLAN_MAX_LEN)
		BAD("length %u, have %zu bytes", le32(buf + 8), len);
	it->buf = buf;
	it->len = len;
	it->off = 16;
	it->nops = le32(buf + 12);
	it->index = 0;
	return 0;
}

/* check_bytes validates a bytes argument against its signature letter. */
static const char *check_bytes(char sig, const uint8_t *p, uint32_t l)
{
	switch (sig) {
	case 's':
		if (l == 0 || p[l - 1] != 0)
			return "string not NUL-terminated";
		if (memchr(p, 0, l) != p + l - 1)
			return "string with a NUL inside";
		return NULL;
	case 'L':
		if (l == 0)
			return "empty list";
		/* fall through */
	case 'l':
		return l == 0 || p[l - 1] == 0 ? NULL : "list not NUL-terminated";
	case 'q':
		return l % 8 == 0 ? NULL : "not a list of u64";
	case 'w':
		return l % 4 == 0 ? NULL : "not a list of u32";
	case 'f':
		return l % 8 == 0 && l > 0 && l / 8 <= 4096 ? NULL : "not a BPF program";
	case 'b':
		return NULL;
	}
	return "int expected";
}

/*
 * plan_next decodes and validates the next op: 1 with *op filled, 0 at the
 * end (when no bytes are left over), -1 with err set.
 */
int plan_next(struct plan_iter *it, struct plan_op *op, char *err, size_t errlen)
{
	const uint8_t *b = it->buf;
	size_t len = it->len, off = it->off;
	uint32_t i = it->index;

	if (i == it->nops) {
		if (off != len)
			BAD("%zu trailing bytes", len - off);
		return 0;
	}
	if (len - off < 8)
		BAD("op %u truncated", i);
	op->code = le32(b + off);
	op->nargs = le32(b + off + 4);
	op->index = i;
	off += 8;
	if (op->code == 0 || op->code >= OP_MAX_OP || op_sigs[op->code] == NULL)
		BAD("op %u: unknown code %u", i, op->code);
	if (op->nargs > PLAN_MAX_ARGS)
		BAD("op %u: %u args", i, op->nargs);
	const char *sig = op_sigs[op->code];
	if (sig[0] == '!')
		BAD("op %u (%s): not implemented", i, op_name(op->code));
	if (op->nargs != strlen(sig))
		BAD("op %u (%s): %u args, want %zu", i, op_name(op->code), op->nargs, strlen(sig));
	for (uint32_t j = 0; j < op->nargs; j++) {
		struct plan_arg *a = &op->a[j];
		if (len - off < 8)
			BAD("op %u arg %u truncated", i, j);
		a->kind = le32(b + off);
		a->len = le32(b + off + 4);
		off += 8;
		if (a->len > len - off)
			BAD("op %u arg %u: length %u past the end", i, j, a->len);
		a->p = b + off;
		a->i = 0;
		if (sig[j] == 'i') {
			if (a->kind != KIND_INT)
				BAD("op %u (%s) arg %u: kind %u, want int", i, op_name(op->code), j, a->kind);
			if (a->len != 8)
				BAD("op %u arg %u: int of %u bytes", i, j, a->len);
			a->i = (int64_t)le64(a->p);
		} else {
			if (a->kind != KIND_BYTES)
				BAD("op %u (%s) arg %u: kind %u, want bytes", i, op_name(op->code), j, a->kind);
			const char *why = check_bytes(sig[j], a->p, a->len);
			if (why != NULL)
				BAD("op %u (%s) arg %u: %s", i, op_name(op->code), j, why);
		}
		off += a->len;
		size_t pad = (4 - off % 4) % 4;
		if (len - off < pad)
			BAD("op %u arg %u: padding truncated", i, j);
		off += pad;
	}
	it->off = off;
	it->index++;
	return 1;
}

/*
 * plan_decode validates a whole plan without side effects: the number of
 * ops, or -1 with err set.
 */
int plan_decode(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct plan_iter it;
	struct plan_op op;
	int r;

	if (plan_iter_init(&it, buf, len, err, errlen) < 0)
		return -1;
	while ((r = plan_next(&it, &op, err, errlen)) == 1)
		;
	return r < 0 ? -1 : (int)it.index;
}

typedef void (*op_fn)(const struct plan_op *);

static const op_fn handlers[OP_MAX_OP] = {
	[OP_SETNS] = op_setns, [OP_UNSHARE] = op_unshare, [OP_USERNS_SYNC] = op_userns_sync,
	[OP_TIME_OFFSETS] = op_time_offsets, [OP_FORK] = op_fork, [OP_SETSID] = op_setsid,
	[OP_DUMPABLE] = op_dumpable, [OP_HOSTNAME] = op_hostname, [OP_DOMAINNAME] = op_hostname,
	[OP_PREPARE_ROOT] = op_prepare_root, [OP_MOUNT] = op_mount, [OP_MKNOD] = op_mknod,
	[OP_BIND_DEV] = op_bind_dev, [OP_SYMLINK] = op_symlink, [OP_SYNC_HOOKS] = op_sync_hooks,
	[OP_HOOK] = op_hook, [OP_PIVOT_ROOT] = op_pivot_root, [OP_CHROOT_MOVE] = op_chroot_move,
	[OP_MASK] = op_mask, [OP_READONLY] = op_readonly, [OP_SYSCTL] = op_sysctl,
	[OP_REMOUNT] = op_remount, [OP_MKDIR] = op_mkdir, [OP_CONSOLE] = op_console,
	[OP_PROC_WRITE] = op_proc_write, [OP_CHDIR_ROOT] = op_chdir_root, [OP_RLIMIT] = op_rlimit,
	[OP_PERSONALITY] = op_personality, [OP_SCHEDULER] = op_scheduler, [OP_I_O_PRIO] = op_ioprio,
	[OP_AFFINITY] = op_affinity, [OP_UMASK] = op_umask, [OP_NO_NEW_PRIVS] = op_no_new_privs,
	[OP_CAP_BOUNDING] = op_cap_bounding, [OP_USER] = op_user, [OP_CAPS] = op_caps,
	[OP_SECCOMP] = op_seccomp, [OP_CHDIR] = op_chdir, [OP_LOOKUP] = op_lookup,
	[OP_CLOSE_FDS] = op_close_fds, [OP_READY] = op_ready, [OP_WAIT_START] = op_wait_start,
	[OP_EXEC] = op_exec, [OP_LABEL] = op_label, [OP_KEYRING] = op_keyring,
	[OP_O_O_M_SCORE_ADJ] = op_oom_score_adj, [OP_DUP_STDIO] = op_dup_stdio,
	[OP_ROOT_HOST_NS] = op_root_host_ns, [OP_CHROOT] = op_chroot, [OP_CGROUP_SYNC] = op_cgroup_sync,
	[OP_MEM_POLICY] = op_mempolicy, [OP_CGROUP_JOIN] = op_cgroup_join,
};

/* parse_fd parses the pipe's fd number; -1 when it is not a plain number. */
static int parse_fd(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 1000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

/*
 * read_plan reads the header, checks it and reads exactly the rest: two
 * reads for any plan that fits in the socket buffer. Oversized or short
 * plans are refused, never truncated.
 */
static uint8_t *read_plan(size_t *lenp)
{
	uint8_t hdr[16];
	int n = read_full(g.pipe, hdr, sizeof(hdr));

	if (n < 0)
		die("read init plan: %s", errtext(errno));
	if (n < (int)sizeof(hdr))
		die("read init plan: unexpected EOF after %d bytes", n);
	if (le32(hdr) != PLAN_MAGIC)
		die("malformed init plan: bad magic %#x", le32(hdr));
	if (le32(hdr + 4) != PLAN_VERSION)
		die("malformed init plan: version %u, want %u", le32(hdr + 4), PLAN_VERSION);
	uint32_t total = le32(hdr + 8);
	if (total > PLAN_MAX_LEN)
		die("init plan is %u bytes, over the limit of %u", total, PLAN_MAX_LEN);
	if (total < sizeof(hdr))
		die("malformed init plan: length %u", total);
	uint8_t *buf = malloc(total);
	if (buf == NULL)
		die("read init plan: %s", errtext(ENOMEM));
	memcpy(buf, hdr, sizeof(hdr));
	n = read_full(g.pipe, buf + sizeof(hdr), total - sizeof(hdr));
	if (n < 0)
		die("read init plan: %s", errtext(errno));
	if ((size_t)n != total - sizeof(hdr))
		die("read init plan: truncated: got %zu of %u bytes", n + sizeof(hdr), total);
	*lenp = total;
	return buf;
}

/* init_main runs `husk init`: it never returns. */
__attribute__((noreturn)) static void init_main(const char *pipe_env)
{
	char err[256];
	struct plan_iter it;
	struct plan_op op;
	size_t len;

	g.pipe = parse_fd(pipe_env);
	/* Not 0, 1, 2: those become the payload's stdio. */
	if (g.pipe < 3 || fcntl(g.pipe, F_SETFD, FD_CLOEXEC) < 0) {
		static const char msg[] = "husk init: _HUSK_INITPIPE is not an open fd\n";
		(void)!write(2, msg, sizeof(msg) - 1);
		_exit(1);
	}
	/* Not dumpable (no ptrace, no /proc/<pid> access) until the payload's execve. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("prctl(PR_SET_DUMPABLE): %s", errtext(errno));

	uint8_t *plan = read_plan(&len);
	if (plan_decode(plan, len, err, sizeof(err)) < 0)
		die("%s", err);
	if (plan_iter_init(&it, plan, len, err, sizeof(err)) < 0)
		die("%s", err);
	while (plan_next(&it, &op, err, sizeof(err)) == 1)
		if (op.code == OP_SETNS)
			open_ns_files(&op);
	if (plan_iter_init(&it, plan, len, err, sizeof(err)) < 0)
		die("%s", err);
	while (plan_next(&it, &op, err, sizeof(err)) == 1)
		handlers[op.code](&op);
	die("init plan ended without exec");
}

/* husk_nsexec is the constructor: a no-op unless this is `husk init`. */
__attribute__((constructor)) static void husk_nsexec(void)
{
	const char *pipe_env = getenv("_HUSK_INITPIPE");

	if (pipe_env != NULL)
		init_main(pipe_env);
}
