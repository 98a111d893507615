/*
 * After pivot_root: masked and read-only paths, remounts, sysctls and other
 * procfs writes, and the console. Mounts here are made fd to fd
 * (open_tree/fsmount + move_mount): they need no /proc, and nothing is
 * resolved twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "ops.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* attach moves the detached mount tree onto target and closes it. */
static int attach(int tree, int target)
{
	int r = move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int e = errno;

	close(tree);
	errno = e;
	return r;
}

/*
 * devnull opens /dev/null once, without following a symlink, and checks it
 * is the char device 1:3: a container's /dev/null replaced by a symlink to
 * /proc/sys/kernel/core_pattern must not be bind-mounted anywhere
 * (CVE-2025-31133).
 */
static int devnull(void)
{
	struct stat sb;

	if (g.devnull_fd >= 0)
		return g.devnull_fd;
	int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/null: %s", errtext(errno));
	if (fstat(fd, &sb) < 0)
		die("stat /dev/null: %s", errtext(errno));
	if (!S_ISCHR(sb.st_mode) || major(sb.st_rdev) != 1 || minor(sb.st_rdev) != 3)
		die("/dev/null: not a character device 1:3");
	g.devnull_fd = fd;
	return fd;
}

/*
 * mask_dir_tree returns a detached read-only tmpfs for a masked directory:
 * the first one is made with fsopen/fsmount, the next ones are clones of it.
 */
static int mask_dir_tree(const char *path)
{
	if (g.maskdir_fd >= 0)
		return open_tree(g.maskdir_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		die("can't mask dir %s: fsopen tmpfs: %s", path, errtext(errno));
	if (fsconfig(fs, FSCONFIG_SET_STRING, "nr_blocks", "1", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", "1", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		die("can't mask dir %s: configure tmpfs: %s", path, errtext(errno));
	int m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	if (m < 0)
		die("can't mask dir %s: fsmount: %s", path, errtext(errno));
	close(fs);
	g.maskdir_fd = fcntl(m, F_DUPFD_CLOEXEC, 3);
	return m;
}

/*
 * op_mask hides a path: a directory under an empty read-only tmpfs,
 * anything else under /dev/null. The path itself is not followed if it is
 * a symlink; a missing path is skipped.
 */
void op_mask(const struct plan_op *op)
{
	const char *path = ARG_S(op, 0);
	struct stat sb;
	int tree;

	int fd = sys_openat2(AT_FDCWD, path, O_PATH | O_NOFOLLOW, RESOLVE_NO_MAGICLINKS);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0 || fstat(fd, &sb) < 0)
		die("can't mask path %s: %s", path, errtext(errno));
	if (S_ISDIR(sb.st_mode))
		tree = mask_dir_tree(path);
	else
		tree = open_tree(devnull(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0 || attach(tree, fd) < 0)
		die("can't mask %s %s: %s", S_ISDIR(sb.st_mode) ? "dir" : "path", path, errtext(errno));
	close(fd);
}

/*
 * op_readonly: a recursive bind of the path onto itself, made read-only
 * before it is attached. Only MOUNT_ATTR_RDONLY is set: nosuid, nodev,
 * noexec and atime flags (locked ones included) stay as they were.
 */
void op_readonly(const struct plan_op *op)
{
	const char *path = ARG_S(op, 0);
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

	int fd = sys_openat2(AT_FDCWD, path, O_PATH, RESOLVE_NO_MAGICLINKS);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		die("can't make %s read-only: %s", path, errtext(errno));
	int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		die("can't make %s read-only: bind: %s", path, errtext(errno));
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		die("can't make %s read-only: %s", path, errtext(errno));
	if (attach(tree, fd) < 0)
		die("can't make %s read-only: attach: %s", path, errtext(errno));
	close(fd);
}

/* op_remount: MS_BIND|MS_REMOUNT|flags on a path of the container (e.g. "/" read-only). */
void op_remount(const struct plan_op *op)
{
	const char *path = ARG_S(op, 0);
	char why[320];

	if (bind_remount(path, -1, (unsigned long)ARG_I(op, 1), 0, why, sizeof(why)) < 0)
		die("remount %s: %s%s", path, why, errtext(errno));
}

/* clean_rel refuses paths that could leave /proc: absolute, empty, "..". */
static int clean_rel(const char *p)
{
	if (p[0] == '/' || p[0] == '\0')
		return 0;
	for (const char *c = p; *c != '\0';) {
		const char *e = strchrnul(c, '/');
		if (e - c == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c = *e ? e + 1 : e;
	}
	return 1;
}

/*
 * op_sysctl writes /proc/sys/<key>: dots separate the components, unless
 * the key uses slashes (then dots are part of names, as in sysctl(8)).
 */
void op_sysctl(const struct plan_op *op)
{
	const char *key = ARG_S(op, 0), *val = ARG_S(op, 1);
	char rel[PATH_MAX], what[PATH_MAX + 16];
	int slashes = strchr(key, '/') != NULL;

	snprintf(what, sizeof(what), "sysctl %s", key);
	if (snprintf(rel, sizeof(rel), "sys/%s", key) >= (int)sizeof(rel) || !clean_rel(key))
		die("write %s: invalid key", what);
	for (char *c = rel + 4; !slashes && *c != '\0'; c++)
		if (*c == '.')
			*c = '/';
	if (!clean_rel(rel))
		die("write %s: invalid key", what);
	proc_write(what, rel, val, strlen(val));
}

/* op_proc_write writes a file under /proc (through the verified procfs). */
void op_proc_write(const struct plan_op *op)
{
	const char *path = ARG_S(op, 0), *val = ARG_S(op, 1);

	if (strncmp(path, "/proc/", 6) != 0 || !clean_rel(path + 6))
		die("write %s: not a path under /proc", path);
	proc_write(path, path + 6, val, strlen(val));
}

/* op_label sets an LSM attribute of this thread (/proc/thread-self/attr/<attr>). */
void op_label(const struct plan_op *op)
{
	const char *attr = ARG_S(op, 0), *val = ARG_S(op, 1);
	char rel[128], what[512];

	if (!clean_rel(attr) || snprintf(rel, sizeof(rel), "thread-self/attr/%s", attr) >= (int)sizeof(rel))
		die("write /proc/thread-self/attr/%s: invalid attribute", attr);
	/* the label in the error: the kernel's EINVAL is all it says of an unknown one */
	snprintf(what, sizeof(what), "/proc/%s (label %.300s)", rel, val);
	proc_write(what, rel, val, strlen(val));
}

void op_oom_score_adj(const struct plan_op *op)
{
	char val[24];
	int n = snprintf(val, sizeof(val), "%lld", (long long)ARG_I(op, 0));

	proc_write("/proc/self/oom_score_adj", "self/oom_score_adj", val, n);
}

/*
 * open_ptmx opens the container's /dev/ptmx (normally a symlink to
 * pts/ptmx, followed inside the container) and checks that it belongs to a
 * devpts: a tty from elsewhere is refused.
 */
static int open_ptmx(void)
{
	struct statfs sfs;
	int fd = sys_openat2(AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY, RESOLVE_NO_MAGICLINKS);

	if (fd < 0)
		die("open /dev/ptmx: %s", errtext(errno));
	if (fstatfs(fd, &sfs) < 0)
		die("statfs /dev/ptmx: %s", errtext(errno));
	if (sfs.f_type != DEVPTS_SUPER_MAGIC)
		die("/dev/ptmx: not on a devpts filesystem");
	return fd;
}

/*
 * mount_console binds the pty peer onto /dev/console: an empty file made
 * in /dev, which must not be a symlink, after removing whatever was there
 * (a symlink to /dev/pts/N or elsewhere is not followed: CVE-2025-52565).
 */
static void mount_console(int peer)
{
	int dev = sys_openat2(AT_FDCWD, "/dev", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);

	if (dev < 0)
		die("mount /dev/console: open /dev: %s", errtext(errno));
	if (unlinkat(dev, "console", 0) < 0 && errno != ENOENT)
		die("mount /dev/console: remove the old /dev/console: %s", errtext(errno));
	int f = openat(dev, "console", O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0);
	if (f < 0)
		die("mount /dev/console: create: %s", errtext(errno));
	close(f);
	int target = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		die("mount /dev/console: %s", errtext(errno));
	int tree = open_tree(peer, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0 || attach(tree, target) < 0)
		die("mount /dev/console: bind the pty: %s", errtext(errno));
	close(target);
	close(dev);
}

/*
 * op_console makes a new pty in the container's devpts, hands the master
 * to the parent (SyncConsole) and makes the peer the controlling terminal
 * on 0, 1, 2. The plan did setsid before.
 */
void op_console(const struct plan_op *op)
{
	unsigned short rows = (unsigned short)ARG_I(op, 0), cols = (unsigned short)ARG_I(op, 1);
	int unlock = 0;

	int master = open_ptmx();
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		die("unlockpt: %s", errtext(errno));
	int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (peer < 0)
		die("open the pty peer: %s", errtext(errno));
	if (fchown(peer, (uid_t)ARG_I(op, 2), (gid_t)ARG_I(op, 3)) < 0)
		die("chown the pty peer: %s", errtext(errno));
	if (rows != 0 || cols != 0) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		if (ioctl(peer, TIOCSWINSZ, &ws) < 0)
			die("set the console size: %s", errtext(errno));
	}
	if (ARG_I(op, 4) == 1)
		mount_console(peer);
	sync_request(SYNC_CONSOLE, NULL, 0, master);
	close(master);
	for (int i = 0; i < 3; i++)
		if (dup2(peer, i) < 0)
			die("dup2 the console on %d: %s", i, errtext(errno));
	if (peer > 2)
		close(peer);
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		die("ioctl(TIOCSCTTY): %s", errtext(errno));
}
