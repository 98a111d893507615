/*
 * Helpers of husk's C init: messages to the parent, error reporting, I/O,
 * texts for errors, and the verified procfs handle.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util.h"

int read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += n;
	}
	return (int)done;
}

int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += n;
	}
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/*
 * sync_send sends one message in one sendmsg (the fd, if any, attached with
 * SCM_RIGHTS). MSG_NOSIGNAL: a parent that went away is an error, not a
 * SIGPIPE.
 */
int sync_send(uint32_t type, const void *payload, uint32_t len, int fd)
{
	uint8_t hdr[8];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
	ssize_t n;

	put32(hdr, type);
	put32(hdr + 4, len);
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(g.pipe, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	/* A stream socket may take a large message in pieces. */
	size_t total = sizeof(hdr) + len;
	while ((size_t)n < total) {
		const uint8_t *p = (size_t)n < sizeof(hdr) ? hdr + n : (const uint8_t *)payload + (n - sizeof(hdr));
		size_t left = (size_t)n < sizeof(hdr) ? sizeof(hdr) - n : total - n;
		ssize_t m = send(g.pipe, p, left, MSG_NOSIGNAL);
		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0)
			return -1;
		n += m;
	}
	return 0;
}

/*
 * sync_wait_ack reads the parent's SyncAck in full. With payload, the
 * payload is returned NUL-terminated (malloc'd); else it is discarded.
 */
void sync_wait_ack(uint8_t **payload, uint32_t *lenp)
{
	uint8_t hdr[8], sink[512];
	int n = read_full(g.pipe, hdr, sizeof(hdr));

	if (n < 0)
		die("wait for the parent: %s", errtext(errno));
	if (n < (int)sizeof(hdr))
		die("wait for the parent: the init pipe was closed");
	uint32_t type = hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	uint32_t len = hdr[4] | hdr[5] << 8 | hdr[6] << 16 | (uint32_t)hdr[7] << 24;
	if (type != SYNC_ACK)
		die("wait for the parent: unexpected message %u", type);
	if (len > PLAN_MAX_LEN)
		die("wait for the parent: %u-byte answer", len);
	if (payload != NULL) {
		uint8_t *buf = malloc(len + 1);
		if (buf == NULL)
			die("wait for the parent: %s", errtext(ENOMEM));
		if (read_full(g.pipe, buf, len) != (int)len)
			die("wait for the parent: short answer");
		buf[len] = 0;
		*payload = buf;
		*lenp = len;
		return;
	}
	while (len > 0) {
		size_t chunk = len < sizeof(sink) ? len : sizeof(sink);
		if (read_full(g.pipe, sink, chunk) != (int)chunk)
			die("wait for the parent: short answer");
		len -= chunk;
	}
}

/* sync_request sends a request and waits for its (discarded) SyncAck. */
void sync_request(uint32_t type, const void *payload, uint32_t len, int fd)
{
	if (sync_send(type, payload, len, fd) < 0)
		die("send sync message %u to the parent: %s", type, errtext(errno));
	sync_wait_ack(NULL, NULL);
}

/*
 * die reports a failure to the parent (or, when the parent is gone, on
 * stderr) and exits. The message names the subject and the cause.
 */
void die(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Past `husk start`: the error is its to report. */
	if (g.start_fd >= 0 && write_full(g.start_fd, msg, strlen(msg)) == 0)
		_exit(1);
	if (g.pipe < 0 || sync_send(SYNC_ERROR, msg, strlen(msg), -1) < 0) {
		size_t n = strlen(msg);
		msg[n < sizeof(msg) - 1 ? n : n - 1] = '\n';
		(void)!write(2, msg, n < sizeof(msg) - 1 ? n + 1 : n);
	}
	_exit(1);
}

/* sync_log sends "level\0message" for the parent's log; failures are ignored. */
void sync_log(const char *level, const char *fmt, ...)
{
	char msg[1024];
	size_t n = strlen(level);
	va_list ap;

	if (n > 16)
		n = 16;
	memcpy(msg, level, n);
	msg[n++] = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	(void)sync_send(SYNC_LOG, msg, n + strlen(msg + n), -1);
}

const char *errtext(int err)
{
	return strerror(err);
}

/* goerrtext: "no such file or directory", as Go spells errnos. */
const char *goerrtext(int err)
{
	static char bufs[2][128];
	static int next;
	char *b = bufs[next++ & 1];

	snprintf(b, sizeof(bufs[0]), "%s", strerror(err));
	b[0] = (char)tolower((unsigned char)b[0]);
	return b;
}

struct flag_name {
	unsigned long bit;
	const char *name;
};

static const char *flags_text(const struct flag_name *t, unsigned long flags, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (; t->name != NULL; t++) {
		if ((flags & t->bit) != t->bit)
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "", t->name);
		flags &= ~t->bit;
	}
	if (flags != 0)
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%#lx", n ? "|" : "", flags);
	return buf;
}

static const struct flag_name ms_names[] = {
	{ MS_RDONLY, "MS_RDONLY" }, { MS_NOSUID, "MS_NOSUID" }, { MS_NODEV, "MS_NODEV" },
	{ MS_NOEXEC, "MS_NOEXEC" }, { MS_SYNCHRONOUS, "MS_SYNCHRONOUS" }, { MS_REMOUNT, "MS_REMOUNT" },
	{ MS_MANDLOCK, "MS_MANDLOCK" }, { MS_DIRSYNC, "MS_DIRSYNC" }, { MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW" },
	{ MS_NOATIME, "MS_NOATIME" }, { MS_NODIRATIME, "MS_NODIRATIME" }, { MS_BIND, "MS_BIND" },
	{ MS_MOVE, "MS_MOVE" }, { MS_REC, "MS_REC" }, { MS_SILENT, "MS_SILENT" },
	{ MS_POSIXACL, "MS_POSIXACL" }, { MS_UNBINDABLE, "MS_UNBINDABLE" }, { MS_PRIVATE, "MS_PRIVATE" },
	{ MS_SLAVE, "MS_SLAVE" }, { MS_SHARED, "MS_SHARED" }, { MS_RELATIME, "MS_RELATIME" },
	{ MS_I_VERSION, "MS_I_VERSION" }, { MS_STRICTATIME, "MS_STRICTATIME" }, { MS_LAZYTIME, "MS_LAZYTIME" },
	{ 0, NULL },
};

const char *mountflags_text(unsigned long flags, char *buf, size_t len)
{
	return flags_text(ms_names, flags, buf, len);
}

static const struct flag_name clone_names[] = {
	{ CLONE_NEWNS, "CLONE_NEWNS" }, { CLONE_NEWUTS, "CLONE_NEWUTS" }, { CLONE_NEWIPC, "CLONE_NEWIPC" },
	{ CLONE_NEWUSER, "CLONE_NEWUSER" }, { CLONE_NEWPID, "CLONE_NEWPID" }, { CLONE_NEWNET, "CLONE_NEWNET" },
	{ CLONE_NEWCGROUP, "CLONE_NEWCGROUP" }, { CLONE_NEWTIME, "CLONE_NEWTIME" }, { 0, NULL },
};

const char *clone_text(unsigned long flags, char *buf, size_t len)
{
	return flags_text(clone_names, flags, buf, len);
}

/* list_count is the number of strings in a string-list argument. */
int list_count(const uint8_t *p, uint32_t len)
{
	int n = 0;

	for (uint32_t i = 0; i < len; i++)
		n += p[i] == 0;
	return n;
}

/*
 * list_vector makes a NULL-terminated vector pointing into a (validated)
 * string-list argument.
 */
char **list_vector(const uint8_t *p, uint32_t len)
{
	int n = list_count(p, len);
	char **v = malloc((n + 1) * sizeof(char *));

	if (v == NULL)
		die("%s", errtext(ENOMEM));
	for (int i = 0; i < n; i++) {
		v[i] = (char *)p;
		p += strlen((const char *)p) + 1;
	}
	v[n] = NULL;
	return v;
}

/* fdpath: the /proc/self/fd/N name of fd, for mount(2) on a resolved target. */
const char *fdpath(int fd, char buf[static 32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = resolve };

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * root_dirfd is the container's root: the rootfs prepared by
 * OP_PREPARE_ROOT (still the same mount after pivot_root), else "/".
 */
int root_dirfd(void)
{
	if (g.root_fd < 0) {
		g.root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (g.root_fd < 0)
			die("open /: %s", errtext(errno));
	}
	return g.root_fd;
}

static void forget(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* forget_mounts: after a change of root or mount namespace. */
void forget_mounts(void)
{
	forget(&g.root_fd);
	forget(&g.proc_fd);
	forget(&g.devnull_fd);
	forget(&g.maskdir_fd);
}

/*
 * proc_root opens /proc once and checks that it is the root of a procfs
 * (PROC_SUPER_MAGIC, inode 1): not a tmpfs, not a bind of a subdirectory,
 * not a symlink (CVE-2019-16884 class).
 */
int proc_root(void)
{
	struct statfs sfs;
	struct stat sb;

	if (g.proc_fd >= 0)
		return g.proc_fd;
	int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die("open /proc: %s", errtext(errno));
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &sb) < 0)
		die("stat /proc: %s", errtext(errno));
	if (sfs.f_type != PROC_SUPER_MAGIC || sb.st_ino != 1)
		die("/proc is not the root of a procfs mount");
	g.proc_fd = fd;
	return fd;
}

/*
 * proc_open opens a file under the verified /proc. Without magic, the walk
 * stays beneath /proc, on the procfs mount itself (no tmpfs or bind mounted
 * over /proc/sys, no magic links): writes cannot be redirected
 * (CVE-2025-52881 class). With magic, the final magic link is followed (to
 * reopen an fd through /proc/self/fd).
 */
int proc_open(const char *rel, int flags, int magic)
{
	int proc = proc_root();

	if (magic)
		return openat(proc, rel, flags | O_CLOEXEC);
	return sys_openat2(proc, rel, flags | O_NOFOLLOW,
			   RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
}

/* proc_write writes val to /proc/<rel>; errors name what. */
void proc_write(const char *what, const char *rel, const char *val, size_t len)
{
	int fd = proc_open(rel, O_WRONLY, 0);

	if (fd < 0)
		die("write %s: %s", what, errtext(errno));
	if (write_full(fd, val, len) < 0)
		die("write %s: %s", what, errtext(errno));
	close(fd);
}
