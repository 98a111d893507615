/*
 * Shared declarations of husk's C init: the decoded op, the init's state,
 * messages to the parent, error reporting and small helpers.
 */
#ifndef HUSK_UTIL_H
#define HUSK_UTIL_H

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "plan.h"

/* One decoded argument: kind int (i) or bytes (p, len). */
struct plan_arg {
	uint32_t kind;
	uint32_t len;
	const uint8_t *p;
	int64_t i;
};

/* One decoded op. */
struct plan_op {
	uint32_t code;
	uint32_t nargs;
	uint32_t index; /* position in the plan, for messages */
	struct plan_arg a[PLAN_MAX_ARGS];
};

/* A cursor over a validated (or being validated) plan. */
struct plan_iter {
	const uint8_t *buf;
	size_t len;
	size_t off;
	uint32_t nops;
	uint32_t index;
};

int plan_iter_init(struct plan_iter *it, const uint8_t *buf, size_t len, char *err, size_t errlen);
int plan_next(struct plan_iter *it, struct plan_op *op, char *err, size_t errlen);
int plan_decode(const uint8_t *buf, size_t len, char *err, size_t errlen);
const char *op_name(uint32_t code);

/* Argument accessors (the decoder checked kinds and counts). */
#define ARG_S(op, n) ((const char *)(op)->a[n].p)
#define ARG_I(op, n) ((op)->a[n].i)
#define ARG_P(op, n) ((op)->a[n].p)
#define ARG_LEN(op, n) ((op)->a[n].len)

/* What the init remembers between ops. */
struct init_state {
	int pipe;                /* the init pipe (close-on-exec) */
	int root_fd;             /* O_PATH handle of the prepared rootfs, or -1 */
	const char *rootfs;      /* its host path (points into the plan) */
	unsigned long root_prop; /* OP_PREPARE_ROOT's propagation */
	int jailed;              /* pivot_root or chroot done */
	int proc_fd;             /* verified procfs root, or -1 */
	int devnull_fd;          /* verified /dev/null for masks, or -1 */
	int maskdir_fd;          /* first read-only tmpfs mask (cloned for the next), or -1 */
	uint8_t *hook_state;     /* state JSON from OP_SYNC_HOOKS */
	uint32_t hook_state_len;
	const uint8_t *start_state; /* the same for startContainer hooks */
	uint32_t start_state_len;
	int start_fd; /* exec fifo once `husk start` opened it, or -1 */
	int have_exe;            /* OP_LOOKUP resolved exe */
	char exe[PATH_MAX];
	/* OP_SETNS files, opened before the first join (index: op index). */
	int nsfd_n;
	struct {
		uint32_t op;
		int fd;
	} nsfd[16];
};
extern struct init_state g;

/* Errors: send SyncError (or write to stderr) and _exit(1). */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void sync_log(const char *level, const char *fmt, ...);

/* Messages to the parent (u32 type, u32 len, payload; fd with SCM_RIGHTS). */
int sync_send(uint32_t type, const void *payload, uint32_t len, int fd);
void sync_wait_ack(uint8_t **payload, uint32_t *len);
void sync_request(uint32_t type, const void *payload, uint32_t len, int fd);

/* I/O. */
int read_full(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);

/* Text helpers. */
const char *errtext(int err);    /* strerror */
const char *goerrtext(int err);  /* strerror with a lower-case first letter, as Go prints errnos */
const char *mountflags_text(unsigned long flags, char *buf, size_t len);
const char *clone_text(unsigned long flags, char *buf, size_t len);
int list_count(const uint8_t *p, uint32_t len);
char **list_vector(const uint8_t *p, uint32_t len);
const char *fdpath(int fd, char buf[static 32]);

/* Kernel interfaces glibc does not wrap (or wraps only recently). */
int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve);
int sys_pidfd_open(pid_t pid);

/* procfs: a verified handle of the current /proc (root inode of a procfs). */
int proc_root(void);
int proc_open(const char *rel, int flags, int magic);
void proc_write(const char *what, const char *rel, const char *val, size_t len);

/* The rootfs (or "/" when none was prepared). */
int root_dirfd(void);
/* forget_mounts drops cached handles of the root, /proc, /dev/null, masks. */
void forget_mounts(void);

/* In-root paths (path.c). */
#define INROOT_FILE 1       /* create the last component as an empty file */
#define INROOT_NOSYMLINKS 2 /* any symlink on the way is an error (ELOOP) */
#define INROOT_NOCREATE 4   /* resolve only */
int inroot_open(const char *path, int flags, int *created);
int inroot_mkdir(const char *path, int flags, mode_t mode, int *created);
int inroot_parent(const char *path, char *name, size_t namelen);
int copy_tree(int srcdir, int dstdir, int depth);

/* Mount helpers (mount.c). */
int bind_remount(const char *target, int fd, unsigned long flags, unsigned long clear, char *why, size_t whylen);

#endif
