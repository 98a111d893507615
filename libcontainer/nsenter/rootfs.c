/*
 * The rootfs before and at pivot_root: prepare-root (runc's prepareRoot),
 * device nodes, symlinks and directories inside the rootfs, pivot_root and
 * the --no-pivot move+chroot (runc's pivotRoot and msMoveRoot).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"

/*
 * make_parent_private makes the mount holding the rootfs private (or
 * slave): pivot_root refuses a shared parent, and the rootfs bind below
 * must not propagate to the host. EINVAL means "not a mount point": go up.
 */
static void make_parent_private(const char *rootfs, unsigned long prop)
{
	unsigned long flag = (prop & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;
	char path[PATH_MAX];

	if (strlen(rootfs) >= sizeof(path))
		die("error preparing rootfs: %s: %s", rootfs, errtext(ENAMETOOLONG));
	strcpy(path, rootfs);
	for (;;) {
		if (mount(NULL, path, NULL, flag, NULL) == 0)
			return;
		if (errno != EINVAL || strcmp(path, "/") == 0)
			break;
		char *slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	die("error preparing rootfs: make %s %s: %s", path, flag == MS_SLAVE ? "slave" : "private",
	    errtext(errno));
}

/*
 * op_prepare_root: "/" becomes rslave (or the configured propagation), the
 * rootfs's parent mount private, and the rootfs a bind mount of itself; its
 * O_PATH handle anchors every container path from now on.
 */
void op_prepare_root(const struct plan_op *op)
{
	const char *rootfs = ARG_S(op, 0);
	unsigned long prop = (unsigned long)ARG_I(op, 1);
	unsigned long flag = prop ? prop : MS_SLAVE | MS_REC;
	char names[128];

	if (rootfs[0] != '/')
		die("error preparing rootfs: %s is not an absolute path", rootfs);
	if (mount(NULL, "/", NULL, flag, NULL) < 0)
		die("error preparing rootfs: set propagation of / to %s: %s",
		    mountflags_text(flag, names, sizeof(names)), errtext(errno));
	make_parent_private(rootfs, prop);
	if (mount(rootfs, rootfs, "bind", MS_BIND | MS_REC, NULL) < 0)
		die("error preparing rootfs: bind mount %s on itself: %s", rootfs, errtext(errno));
	forget_mounts();
	g.root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (g.root_fd < 0)
		die("error preparing rootfs: open %s: %s", rootfs, errtext(errno));
	g.rootfs = rootfs;
	g.root_prop = prop;
}

/*
 * op_root_host_ns: a container without a mount namespace of its own (as
 * runc allows) is set up in the runtime's: its mounts go under the rootfs
 * there (the runtime records and removes them), the host's propagation is
 * left alone and the rootfs is not bind-mounted on itself; OP_CHROOT jails.
 */
void op_root_host_ns(const struct plan_op *op)
{
	const char *rootfs = ARG_S(op, 0);

	if (rootfs[0] != '/')
		die("error preparing rootfs: %s is not an absolute path", rootfs);
	g.root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (g.root_fd < 0)
		die("error preparing rootfs: open %s: %s", rootfs, errtext(errno));
	g.rootfs = rootfs;
	g.root_prop = 0;
}

/* op_mknod creates a device node (replacing what was there), exact mode and owner. */
void op_mknod(const struct plan_op *op)
{
	const char *path = ARG_S(op, 0);
	mode_t mode = (mode_t)ARG_I(op, 1);
	dev_t rdev = (dev_t)ARG_I(op, 2);
	char name[NAME_MAX + 1];
	int dir = inroot_parent(path, name, sizeof(name));

	if (dir < 0)
		die("mknod %s: %s", path, errtext(errno));
	if (unlinkat(dir, name, 0) < 0 && errno != ENOENT)
		die("mknod %s: remove the existing file: %s", path, errtext(errno));
	mode_t old = umask(0);
	int r = mknodat(dir, name, mode, rdev);
	int e = errno;
	umask(old);
	if (r < 0)
		die("mknod %s: %s", path, errtext(e));
	if (fchownat(dir, name, (uid_t)ARG_I(op, 3), (gid_t)ARG_I(op, 4), AT_SYMLINK_NOFOLLOW) < 0)
		die("chown %s: %s", path, errtext(errno));
	close(dir);
}

/*
 * op_bind_dev: in a user namespace, where mknod is not allowed, an empty
 * file with the host's node bind-mounted on it.
 */
void op_bind_dev(const struct plan_op *op)
{
	const char *path = ARG_S(op, 0), *host = ARG_S(op, 1);
	int target = inroot_open(path, INROOT_FILE, NULL);

	if (target < 0)
		die("create device inode %s: %s", path, errtext(errno));
	int tree = open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		die("bind mount %s on %s: %s", host, path, errtext(errno));
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die("bind mount %s on %s: %s", host, path, errtext(errno));
	close(tree);
	close(target);
}

/* op_symlink creates link -> target inside the rootfs; an existing link is kept. */
void op_symlink(const struct plan_op *op)
{
	const char *target = ARG_S(op, 0), *link = ARG_S(op, 1);
	char name[NAME_MAX + 1];
	int dir = inroot_parent(link, name, sizeof(name));

	if (dir < 0)
		die("symlink %s -> %s: %s", link, target, errtext(errno));
	if (symlinkat(target, dir, name) < 0 && errno != EEXIST)
		die("symlink %s -> %s: %s", link, target, errtext(errno));
	close(dir);
}

/* op_mkdir: mkdir -p inside the rootfs. */
void op_mkdir(const struct plan_op *op)
{
	const char *path = ARG_S(op, 0);
	int fd = inroot_mkdir(path, 0, (mode_t)ARG_I(op, 1), NULL);

	if (fd < 0)
		die("mkdir %s: %s", path, errtext(errno));
	close(fd);
}

/*
 * jailed: the process root is the rootfs now. Cached handles of the old
 * root's /proc and /dev go; a shared (or unbindable) root propagation is
 * applied on the new "/" only now, so that it never touches the host.
 */
static void jailed(void)
{
	int root = g.root_fd;

	g.root_fd = -1;
	forget_mounts();
	g.root_fd = root;
	g.jailed = 1;
	if (g.root_prop != 0 && !(g.root_prop & (MS_PRIVATE | MS_SLAVE)) &&
	    mount(NULL, "/", NULL, g.root_prop, NULL) < 0)
		die("unable to apply root propagation flags: %s", errtext(errno));
}

static void need_rootfs(const char *what)
{
	if (g.rootfs == NULL || g.root_fd < 0)
		die("%s: no rootfs was prepared", what);
}

/*
 * op_pivot_root: pivot_root(".", ".") from inside the rootfs stacks the old
 * root under the new one; it is made rslave (so that the unmount does not
 * propagate to the host) and detached.
 */
void op_pivot_root(const struct plan_op *op)
{
	need_rootfs("pivot_root");
	int oldroot = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (oldroot < 0)
		die("error jailing process inside rootfs: open /: %s", errtext(errno));
	if (fchdir(g.root_fd) < 0)
		die("error jailing process inside rootfs: chdir %s: %s", g.rootfs, errtext(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die("error jailing process inside rootfs: pivot_root %s: %s", g.rootfs, errtext(errno));
	if (fchdir(oldroot) < 0)
		die("error jailing process inside rootfs: fchdir to the old root: %s", errtext(errno));
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		die("error jailing process inside rootfs: make the old root rslave: %s", errtext(errno));
	if (umount2(".", MNT_DETACH) < 0)
		die("error jailing process inside rootfs: unmount the old root: %s", errtext(errno));
	if (chdir("/") < 0)
		die("error jailing process inside rootfs: chdir /: %s", errtext(errno));
	close(oldroot);
	jailed();
}

/* unescape_octal undoes mountinfo's \040-style escapes in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++, w++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*w = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w = *s;
		}
	}
	*w = '\0';
}

/* read_mountinfo reads /proc/self/mountinfo whole (malloc'd, NUL-terminated). */
static char *read_mountinfo(void)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || buf == NULL)
		die("read /proc/self/mountinfo: %s", errtext(fd < 0 ? errno : ENOMEM));
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			buf = realloc(buf, cap *= 2);
			if (buf == NULL)
				die("read /proc/self/mountinfo: %s", errtext(ENOMEM));
		}
	}
	if (n < 0)
		die("read /proc/self/mountinfo: %s", errtext(errno));
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* hide_mount detaches (or, when not allowed, covers with a tmpfs) a host procfs/sysfs. */
static void hide_mount(const char *mp)
{
	if (mount(NULL, mp, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return; /* under an already detached mount */
		die("error jailing process inside rootfs: make %s rslave: %s", mp, errtext(errno));
	}
	if (umount2(mp, MNT_DETACH) == 0)
		return;
	if (errno != EINVAL && errno != EPERM)
		die("error jailing process inside rootfs: unmount %s: %s", mp, errtext(errno));
	if (mount("tmpfs", mp, "tmpfs", 0, NULL) < 0)
		die("error jailing process inside rootfs: cover %s: %s", mp, errtext(errno));
}

/*
 * hide_host_procfs: with chroot the host's full procfs and sysfs mounts
 * stay in the namespace (and would let the container mount new ones);
 * detach those outside the rootfs, as runc does. Only --no-pivot pays for
 * this mountinfo parse.
 */
static void hide_host_procfs(const char *rootfs)
{
	char *info = read_mountinfo();

	for (char *line = info, *next; *line != '\0'; line = next) {
		next = strchrnul(line, '\n');
		if (*next != '\0')
			*next++ = '\0';
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *f[5], *sep = strstr(line, " - "), *save = NULL;
		if (sep == NULL)
			continue;
		*sep = '\0';
		char *fstype = strtok_r(sep + 3, " ", &save);
		int i = 0;
		for (char *t = strtok_r(line, " ", &save); t != NULL && i < 5; t = strtok_r(NULL, " ", &save))
			f[i++] = t;
		if (i < 5 || fstype == NULL || (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs") != 0))
			continue;
		unescape_octal(f[3]);
		unescape_octal(f[4]);
		if (strcmp(f[3], "/") != 0 || strncmp(f[4], rootfs, strlen(rootfs)) == 0)
			continue;
		hide_mount(f[4]);
	}
	free(info);
}

/* op_chroot_move: --no-pivot: move the rootfs onto "/" and chroot into it. */
/*
 * op_chroot: chroot into the prepared rootfs (path "") or into path (exec
 * into a container without a mount namespace: /proc/<init>/root).
 */
void op_chroot(const struct plan_op *op)
{
	const char *path = ARG_S(op, 0);

	if (path[0] == '\0') {
		need_rootfs("chroot");
		if (fchdir(g.root_fd) < 0)
			die("error jailing process inside rootfs: chdir %s: %s", g.rootfs, errtext(errno));
	} else if (chdir(path) < 0) {
		die("error jailing process inside rootfs: chdir %s: %s", path, errtext(errno));
	}
	if (chroot(".") < 0)
		die("error jailing process inside rootfs: chroot .: %s", errtext(errno));
	if (chdir("/") < 0)
		die("error jailing process inside rootfs: chdir /: %s", errtext(errno));
	if (path[0] == '\0')
		jailed();
}

void op_chroot_move(const struct plan_op *op)
{
	need_rootfs("chroot");
	if (fchdir(g.root_fd) < 0)
		die("error jailing process inside rootfs: chdir %s: %s", g.rootfs, errtext(errno));
	hide_host_procfs(g.rootfs);
	if (mount(g.rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		die("error jailing process inside rootfs: move %s to /: %s", g.rootfs, errtext(errno));
	if (chroot(".") < 0)
		die("error jailing process inside rootfs: chroot .: %s", errtext(errno));
	if (chdir("/") < 0)
		die("error jailing process inside rootfs: chdir /: %s", errtext(errno));
	jailed();
}
