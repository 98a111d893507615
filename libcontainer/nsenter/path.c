/*
 * Container paths, resolved inside the rootfs and never outside it.
 *
 * The kernel resolves: openat2(rootfd, path, RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) treats rootfd as "/" for absolute symlinks and
 * "..", so a destination such as /etc -> /host/etc lands on <rootfs>/host/etc
 * (CVE-2021-30465, CVE-2024-45310 class). When the path does not exist yet,
 * it is created one component at a time: each prefix is resolved again from
 * the root by the kernel, missing components are made with mkdirat/openat
 * relative to their resolved parent, and a dangling symlink is followed by
 * splicing its target into the path (still resolved from the root).
 *
 * Also here: copy_tree, the copy of a directory's content for tmpcopyup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define MAX_SYMLINKS 40

/* is_last: nothing but slashes after p. */
static int is_last(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

/*
 * splice_link replaces the component [comp, end) of buf with the symlink
 * target: an absolute target restarts from the root, a relative one is
 * resolved from the component's parent (the prefix before comp).
 */
static int splice_link(char *buf, char *comp, const char *end, const char *target)
{
	char tmp[PATH_MAX];
	size_t prefix = target[0] == '/' ? 0 : (size_t)(comp - buf);
	size_t tlen = strlen(target), rest = strlen(end);

	if (prefix + tlen + rest + 1 > sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, buf, prefix);
	memcpy(tmp + prefix, target, tlen);
	memcpy(tmp + prefix + tlen, end, rest + 1);
	memcpy(buf, tmp, prefix + tlen + rest + 1);
	return 0;
}

/* make_component creates the missing component name in dir. */
static int make_component(int dir, const char *name, int file, mode_t mode)
{
	if (file) {
		int fd = openat(dir, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return errno == EEXIST ? 0 : -1;
		close(fd);
		return 0;
	}
	if (mkdirat(dir, name, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

#define RESTART (-2)

/*
 * missing_component handles the first component [p, end) of buf that does
 * not resolve, in its resolved parent dir: a dangling symlink is spliced
 * into buf (RESTART), anything else missing is created and opened.
 */
static int missing_component(int dir, char *buf, char *p, char *end, int flags, mode_t mode, int *links,
			     int *created)
{
	char name[NAME_MAX + 1], link[PATH_MAX];
	size_t nlen = end - p;

	if (nlen > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	ssize_t l = readlinkat(dir, name, link, sizeof(link) - 1);
	if (l >= 0) {
		if ((flags & INROOT_NOSYMLINKS) || ++*links > MAX_SYMLINKS) {
			errno = ELOOP;
			return -1;
		}
		link[l] = '\0';
		return splice_link(buf, p, end, link) < 0 ? -1 : RESTART;
	}
	if (errno != ENOENT) {
		if (errno == EINVAL) /* exists and is no symlink: raced */
			errno = ENOENT;
		return -1;
	}
	int last = is_last(end);
	if (make_component(dir, name, last && (flags & INROOT_FILE), mode) < 0)
		return -1;
	if (last && created != NULL)
		*created = 1;
	return openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * create_path is inroot_open's slow path: every prefix is resolved from the
 * root by the kernel; the first one that does not exist is made.
 */
static int create_path(int root, const char *path, int flags, mode_t mode, uint64_t resolve, int *created)
{
	char buf[PATH_MAX];
	int links = 0, parent = -1, fd;
	char *p = buf;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		char *end = strchrnul(p, '/');
		char save = *end;
		*end = '\0';
		fd = sys_openat2(root, buf, O_PATH, resolve);
		*end = save;
		if (fd < 0 && errno == ENOENT)
			fd = missing_component(parent >= 0 ? parent : root, buf, p, end, flags, mode, &links,
					       created);
		if (fd == RESTART) {
			if (parent >= 0)
				close(parent);
			parent = -1;
			p = buf;
			continue;
		}
		if (fd < 0) {
			int e = errno;
			if (parent >= 0)
				close(parent);
			errno = e;
			return -1;
		}
		if (parent >= 0)
			close(parent);
		parent = fd;
		p = end;
	}
	return parent >= 0 ? parent : fcntl(root, F_DUPFD_CLOEXEC, 3);
}

/*
 * inroot_open resolves a container path inside the rootfs and returns an
 * O_PATH fd of it. Missing directories are created (0755) and, with
 * INROOT_FILE, a missing last component as an empty file; *created tells
 * whether the last component was made. -1 with errno on failure.
 */
int inroot_open(const char *path, int flags, int *created)
{
	return inroot_mkdir(path, flags, 0755, created);
}

/* inroot_mkdir is inroot_open with the mode of created directories. */
int inroot_mkdir(const char *path, int flags, mode_t mode, int *created)
{
	int root = root_dirfd();
	uint64_t resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

	if (flags & INROOT_NOSYMLINKS)
		resolve |= RESOLVE_NO_SYMLINKS;
	if (created != NULL)
		*created = 0;
	if (path[0] == '\0')
		path = "/";
	int fd = sys_openat2(root, path, O_PATH, resolve);
	if (fd >= 0 || errno != ENOENT || (flags & INROOT_NOCREATE))
		return fd;
	return create_path(root, path, flags, mode, resolve, created);
}

/*
 * inroot_parent resolves (creating it) the parent directory of path and
 * copies the last component into name: for ops that act on the name itself
 * (mknod, symlink), never following it.
 */
int inroot_parent(const char *path, char *name, size_t namelen)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	char *slash = strrchr(buf, '/');
	const char *last = slash != NULL ? slash + 1 : buf;
	if (*last == '\0' || strcmp(last, ".") == 0 || strcmp(last, "..") == 0 || strlen(last) >= namelen) {
		errno = EINVAL;
		return -1;
	}
	strcpy(name, last);
	if (slash != NULL)
		*slash = '\0';
	else
		buf[0] = '\0';
	return inroot_open(buf[0] != '\0' ? buf : "/", 0, NULL);
}

/* copy_data copies a regular file's bytes (sendfile, read/write as fallback). */
static int copy_data(int in, int out)
{
	char buf[8192];
	ssize_t n;

	while ((n = sendfile(out, in, NULL, 1 << 30)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_full(out, buf, n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

/* copy_entry copies one directory entry (and, for a directory, its content). */
static int copy_entry(int src, int dst, const char *name, const struct stat *sb, int depth)
{
	char target[PATH_MAX];
	int in = -1, out = -1, r = -1;

	switch (sb->st_mode & S_IFMT) {
	case S_IFDIR:
		if (mkdirat(dst, name, 0700) < 0)
			return -1;
		in = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		out = openat(dst, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (in >= 0 && out >= 0)
			r = copy_tree(in, out, depth + 1);
		break;
	case S_IFREG:
		in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in >= 0)
			out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out >= 0)
			r = copy_data(in, out);
		break;
	case S_IFLNK: {
		ssize_t l = readlinkat(src, name, target, sizeof(target) - 1);
		if (l < 0)
			return -1;
		target[l] = '\0';
		r = symlinkat(target, dst, name);
		break;
	}
	default:
		r = mknodat(dst, name, (sb->st_mode & S_IFMT) | 0600, sb->st_rdev);
	}
	int e = errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	errno = e;
	if (r < 0)
		return -1;
	if (fchownat(dst, name, sb->st_uid, sb->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISLNK(sb->st_mode) && fchmodat(dst, name, sb->st_mode & 07777, 0) < 0)
		return -1;
	return 0;
}

/*
 * copy_tree copies the content of srcdir (opened O_RDONLY) into dstdir:
 * files, directories, symlinks and nodes with their modes and owners.
 */
int copy_tree(int srcdir, int dstdir, int depth)
{
	char buf[2048];
	struct stat sb;
	long n;

	if (depth > 64) {
		errno = ELOOP;
		return -1;
	}
	while ((n = syscall(SYS_getdents64, srcdir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			if (fstatat(srcdir, d->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
				return -1;
			if (copy_entry(srcdir, dstdir, d->d_name, &sb, depth) < 0)
				return -1;
		}
	}
	return n < 0 ? -1 : 0;
}
