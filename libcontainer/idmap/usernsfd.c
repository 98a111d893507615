/*
 * husk_userns_fd: a file descriptor of a new user namespace with the given
 * uid_map/gid_map, for MOUNT_ATTR_IDMAP. A child is cloned into a new user
 * namespace (no exec, no CLONE_VM: it only blocks in read(2) on a pipe and
 * dies with it), its maps are written, /proc/<pid>/ns/user is opened, and
 * the child is killed and reaped before returning. Called from Go (cgo):
 * the child runs nothing but raw system calls, with every signal blocked.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>

#include "usernsfd.h"

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, len);
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int husk_userns_fd(const char *uidmap, size_t uidlen, const char *gidmap, size_t gidlen, const char **stage)
{
	sigset_t all, old;
	int pfd[2], fd = -1, e = 0;
	char path[64];

	*stage = "pipe";
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	*stage = "clone(CLONE_NEWUSER)";
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		char c;
		/* Wait until killed, or until the parent is gone (EOF). */
		syscall(SYS_close, pfd[1]);
		syscall(SYS_read, pfd[0], &c, 1);
		syscall(SYS_exit_group, 0);
	}
	if (pid < 0)
		e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(pfd[0]);
	if (pid < 0) {
		close(pfd[1]);
		return -e;
	}
	snprintf(path, sizeof(path), "/proc/%ld/uid_map", pid);
	*stage = "write uid_map";
	if (write_file(path, uidmap, uidlen) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/%ld/gid_map", pid);
	*stage = "write gid_map";
	if (write_file(path, gidmap, gidlen) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
	*stage = "open the user namespace";
	fd = open(path, O_RDONLY | O_CLOEXEC);
out:
	if (fd < 0)
		e = errno;
	kill((pid_t)pid, SIGKILL);
	close(pfd[1]);
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd < 0 ? -e : fd;
}
