/*
 * OP_MOUNT: one entry of config.json's mounts, mounted on a destination
 * resolved inside the rootfs (path.c) and addressed only through its fd.
 *
 *   bind:     open_tree(src, OPEN_TREE_CLONE[|AT_RECURSIVE]) -> move_mount
 *             onto the target fd -> remount MS_BIND|MS_REMOUNT|flags when
 *             flags were given (locked flags kept on EPERM, as runc does)
 *   other:    mount(src, /proc/self/fd/<target>, fstype, flags, data)
 *   idmapped: the parent made the detached mount (package idmap: it needs
 *             the host's privileges); it is attached with move_mount, then
 *             a bind is remounted with its flags as above
 *   then:     propagation list, mount_setattr attrs, each on a handle of
 *             the new mount
 *
 * Also bind_remount, shared with OP_REMOUNT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "ops.h"

#define ATIME_ENUM (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
#define ATIME_FLAGS (ATIME_ENUM | MS_NODIRATIME)
/* The flags the kernel locks on mounts inherited into another user namespace. */
#define LOCK_FLAGS (MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_NOSUID | ATIME_FLAGS)
#define PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* One decoded OP_MOUNT. */
struct mnt {
	const char *src, *dst, *fstype, *data;
	unsigned long flags, clear;
	const uint8_t *prop;
	uint32_t nprop;
	uint64_t attr_set, attr_clr;
	int tree; /* detached (idmapped) mount made by the parent, or -1 */
	uint64_t opts;
};

/* statvfs_flags converts statvfs f_flag to MS_* (calculate_f_flags in reverse). */
static unsigned long statvfs_flags(unsigned long st)
{
	static const struct {
		unsigned long st, ms;
	} t[] = {
		{ ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC }, { ST_MANDLOCK, MS_MANDLOCK }, { ST_SYNCHRONOUS, MS_SYNCHRONOUS },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
		{ 0x2000 /* ST_NOSYMFOLLOW */, MS_NOSYMFOLLOW },
	};
	unsigned long ms = 0;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (st & t[i].st)
			ms |= t[i].ms;
	/* MS_STRICTATIME is not stored: it is the absence of the others. */
	if (!(ms & ATIME_ENUM))
		ms |= MS_STRICTATIME;
	return ms;
}

/*
 * bind_remount sets the per-mount flags of the mount at target (its root):
 * MS_BIND|MS_REMOUNT|flags. In a user namespace the kernel refuses to clear
 * locked flags (EPERM): then the mount's current locked flags are added,
 * unless the config explicitly cleared one of them (clear), which is an
 * error. On failure, why says what failed (errno holds the cause).
 */
int bind_remount(const char *target, int fd, unsigned long flags, unsigned long clear, char *why, size_t whylen)
{
	unsigned long f = MS_BIND | MS_REMOUNT | (flags & ~(PROPAGATION | MS_BIND | MS_REC | MS_REMOUNT));
	struct statvfs sv;
	char names[256];

	why[0] = '\0';
	if (mount(NULL, target, NULL, f, NULL) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	if ((fd >= 0 ? fstatvfs(fd, &sv) : statvfs(target, &sv)) < 0) {
		snprintf(why, whylen, "statvfs: ");
		return -1;
	}
	unsigned long cur = statvfs_flags(sv.f_flag);
	if (cur & clear & LOCK_FLAGS) {
		snprintf(why, whylen, "cannot clear locked flags %s: ",
			 mountflags_text(cur & clear & LOCK_FLAGS, names, sizeof(names)));
		errno = EPERM;
		return -1;
	}
	if ((flags & ATIME_FLAGS) && (flags & ATIME_FLAGS) != (cur & ATIME_FLAGS)) {
		snprintf(why, whylen, "cannot change locked atime flags %s: ",
			 mountflags_text(cur & ATIME_FLAGS, names, sizeof(names)));
		errno = EPERM;
		return -1;
	}
	if (mount(NULL, target, NULL, f | (cur & LOCK_FLAGS), NULL) == 0)
		return 0;
	snprintf(why, whylen, "remount with locked flags %s re-applied: ",
		 mountflags_text(cur & LOCK_FLAGS, names, sizeof(names)));
	return -1;
}

/* mount_die reports a failed mount in runc's words. */
__attribute__((noreturn)) static void mount_die(const struct mnt *m, const char *what, int err)
{
	if (err == ENODEV && !(m->flags & MS_BIND))
		die("mount %s on %s: unknown filesystem type \"%s\"", m->src, m->dst, m->fstype);
	if (m->fstype[0] != '\0')
		die("mount %s on %s (type %s): %s%s", m->src, m->dst, m->fstype, what, errtext(err));
	die("mount %s on %s: %s%s", m->src, m->dst, what, errtext(err));
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * reopen_mount opens the new mount on top of target: the old fd still
 * names the covered directory, so the destination is resolved again and
 * must now be the root of a different mount.
 */
static int reopen_mount(const struct mnt *m, int target)
{
	struct statx a, b;
	int fd = sys_openat2(root_dirfd(), m->dst, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

	if (fd < 0)
		mount_die(m, "reopen the mount point: ", errno);
	if (statx(target, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) < 0 ||
	    statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) < 0)
		mount_die(m, "statx: ", errno);
	if (!(b.stx_attributes & STATX_ATTR_MOUNT_ROOT) || a.stx_mnt_id == b.stx_mnt_id)
		die("mount %s on %s: the mount point changed while mounting", m->src, m->dst);
	return fd;
}

/* mount_bind: clone the source tree and attach it on target; the tree fd is the new mount. */
static int mount_bind(const struct mnt *m, int target)
{
	unsigned int f = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
	char why[320];

	if (m->flags & MS_REC)
		f |= AT_RECURSIVE;
	if (m->opts & MOUNT_OPT_NO_FOLLOW)
		f |= AT_SYMLINK_NOFOLLOW;
	int tree = m->tree;
	if (tree < 0)
		tree = open_tree(AT_FDCWD, m->src, f);
	if (tree < 0)
		mount_die(m, "", errno);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		mount_die(m, "", errno);
	if ((m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT | PROPAGATION)) || m->clear) {
		char p[32];
		if (bind_remount(fdpath(tree, p), tree, m->flags, m->clear, why, sizeof(why)) < 0)
			mount_die(m, why, errno);
	}
	return tree;
}

/*
 * tmpfs_data: a tmpfs over an existing directory gets its mode (runc's
 * behaviour; the config's own mode= comes later and wins).
 */
static const char *tmpfs_data(const struct mnt *m, int target, char *buf, size_t len)
{
	struct stat sb;

	if (fstat(target, &sb) < 0)
		mount_die(m, "stat the mount point: ", errno);
	snprintf(buf, len, "mode=%04o%s%s", sb.st_mode & 07777, m->data[0] ? "," : "", m->data);
	return buf;
}

/*
 * mount_fs mounts a filesystem on target. It returns a handle of the new
 * mount when later steps need one (propagation, attributes, tmpcopyup),
 * else -1.
 */
static int mount_fs(const struct mnt *m, int target, int created)
{
	char buf[4096], p[32], why[320];
	const char *data = m->data;
	unsigned long flags = m->flags;
	int copyup = (m->opts & MOUNT_OPT_TMPCOPYUP) != 0, old = -1;

	if (strlen(data) + 16 > sizeof(buf))
		die("mount %s on %s: mount options too long", m->src, m->dst);
	if (strcmp(m->fstype, "tmpfs") == 0 && !created)
		data = tmpfs_data(m, target, buf, sizeof(buf));
	if (copyup) {
		old = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (old < 0)
			die("tmpcopyup %s: %s", m->dst, errtext(errno));
		flags &= ~MS_RDONLY; /* made read-only after the copy */
	}
	if (mount(m->src, fdpath(target, p), m->fstype, flags, data[0] ? data : NULL) < 0)
		mount_die(m, "", errno);
	if (!m->nprop && !m->attr_set && !m->attr_clr && !copyup)
		return -1;
	int h = reopen_mount(m, target);
	if (copyup) {
		if (copy_tree(old, h, 0) < 0)
			die("tmpcopyup %s: %s", m->dst, errtext(errno));
		close(old);
		if ((m->flags & MS_RDONLY) &&
		    bind_remount(fdpath(h, p), h, m->flags & ~PROPAGATION, 0, why, sizeof(why)) < 0)
			mount_die(m, why, errno);
	}
	return h;
}

/* has_mode: the mount data set mode= (a tmpfs keeps it). */
static int has_mode(const char *data)
{
	for (const char *p = data; *p;) {
		if (strncmp(p, "mode=", 5) == 0)
			return 1;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return 0;
}

/*
 * attach_fs attaches a new filesystem the parent made detached (an idmapped
 * mount, its flags already set by fsmount) on target; the fd is the new
 * mount. A tmpfs over an existing directory takes its mode unless the data
 * gave one, as in tmpfs_data.
 */
static int attach_fs(const struct mnt *m, int target, int created)
{
	int inherit = strcmp(m->fstype, "tmpfs") == 0 && !created && !has_mode(m->data);
	struct stat sb;
	char p[32];

	if (inherit && fstat(target, &sb) < 0)
		mount_die(m, "stat the mount point: ", errno);
	if (move_mount(m->tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		mount_die(m, "attach the idmapped mount: ", errno);
	if (inherit && chmod(fdpath(m->tree, p), sb.st_mode & 07777) < 0)
		mount_die(m, "set the mode of the mount point: ", errno);
	return m->tree;
}

/* set_propagation applies the propagation list in order. */
static void set_propagation(const struct mnt *m, int h)
{
	char names[128];

	for (uint32_t i = 0; i < m->nprop; i++) {
		uint64_t pf = u64_at(m->prop + 8 * i);
		struct mount_attr a = { .propagation = pf & ~(uint64_t)MS_REC };
		unsigned int f = AT_EMPTY_PATH | ((pf & MS_REC) ? AT_RECURSIVE : 0);
		if (mount_setattr(h, "", f, &a, sizeof(a)) < 0)
			die("mount %s on %s: set propagation %s: %s", m->src, m->dst,
			    mountflags_text(pf, names, sizeof(names)), errtext(errno));
	}
}

/* set_attrs applies the MOUNT_ATTR_* set/clear bits (rro, rnosuid, ...). */
static void set_attrs(const struct mnt *m, int h)
{
	struct mount_attr a = { .attr_set = m->attr_set, .attr_clr = m->attr_clr };
	unsigned int f = AT_EMPTY_PATH | ((m->opts & MOUNT_OPT_REC_ATTR) ? AT_RECURSIVE : 0);

	if (a.attr_set & MOUNT_ATTR__ATIME)
		a.attr_clr |= MOUNT_ATTR__ATIME;
	if (mount_setattr(h, "", f, &a, sizeof(a)) < 0)
		die("mount %s on %s: set mount attributes: %s", m->src, m->dst, errtext(errno));
}

/* root_stat: the rootfs's identity, looked up once per root. */
static int root_stat(struct stat *sb)
{
	static struct stat cached;
	static int cached_fd = -1;
	int root = root_dirfd();

	if (cached_fd != root) {
		if (fstat(root, &cached) < 0)
			return -1;
		cached_fd = root;
	}
	*sb = cached;
	return 0;
}

/* mount_target resolves (making it) the mount point inside the rootfs. */
static int mount_target(const struct mnt *m, int *created)
{
	int special = !(m->flags & MS_BIND) && (strcmp(m->fstype, "proc") == 0 || strcmp(m->fstype, "sysfs") == 0);
	int flags = (m->opts & MOUNT_OPT_FILE) ? INROOT_FILE : 0;
	struct stat sb, rsb;

	/* procfs and sysfs only on an ordinary directory: no symlink anywhere. */
	if (special)
		flags |= INROOT_NOSYMLINKS;
	int fd = inroot_open(m->dst, flags, created);
	if (fd < 0 && special && errno == ELOOP)
		die("mount %s: must be mounted on ordinary directory", m->dst);
	if (fd < 0)
		die("create mount point for %s mount: %s", m->dst, errtext(errno));
	if (fstat(fd, &sb) < 0 || root_stat(&rsb) < 0)
		die("stat mount point %s: %s", m->dst, errtext(errno));
	if (special && !S_ISDIR(sb.st_mode))
		die("mount %s: must be mounted on ordinary directory", m->dst);
	if (sb.st_dev == rsb.st_dev && sb.st_ino == rsb.st_ino)
		die("mount %s: mount point is the root of the rootfs", m->dst);
	return fd;
}

void op_mount(const struct plan_op *op)
{
	struct mnt m = {
		.src = ARG_S(op, 0),
		.dst = ARG_S(op, 1),
		.fstype = ARG_S(op, 2),
		.flags = (unsigned long)ARG_I(op, 3),
		.data = ARG_S(op, 4),
		.clear = (unsigned long)ARG_I(op, 5),
		.prop = ARG_P(op, 6),
		.nprop = ARG_LEN(op, 6) / 8,
		.attr_set = (uint64_t)ARG_I(op, 7),
		.attr_clr = (uint64_t)ARG_I(op, 8),
		.tree = (int)ARG_I(op, 9),
		.opts = (uint64_t)ARG_I(op, 10),
	};
	int created, h;

	if (m.opts & MOUNT_OPT_CGROUP_NS)
		die("mount %s on %s: the cgroupns mount option is not implemented", m.src, m.dst);
	int target = mount_target(&m, &created);
	if (m.flags & MS_BIND)
		h = mount_bind(&m, target);
	else if (m.tree >= 0)
		h = attach_fs(&m, target, created);
	else
		h = mount_fs(&m, target, created);
	if (m.nprop)
		set_propagation(&m, h);
	if (m.attr_set || m.attr_clr)
		set_attrs(&m, h);
	if (h >= 0)
		close(h);
	close(target);
}
