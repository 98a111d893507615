/*
 * Namespace ops: join (setns), unshare, user-namespace map sync, time
 * namespace offsets, the CLONE_PARENT fork, setsid, dumpable, hostname.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"

static const char *ns_name(unsigned long type)
{
	switch (type) {
	case CLONE_NEWNS:
		return "mount";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWPID:
		return "pid";
	case CLONE_NEWNET:
		return "network";
	case CLONE_NEWCGROUP:
		return "cgroup";
	case CLONE_NEWTIME:
		return "time";
	}
	return "unknown";
}

/*
 * open_ns_files opens the file of every OP_SETNS before any of them is
 * joined (as runc's nsexec does): once the mount namespace is joined,
 * /proc is the container's and the /proc/<pid>/ns/... paths of the other
 * namespaces no longer resolve.
 */
void open_ns_files(const struct plan_op *op)
{
	unsigned long type = (unsigned long)ARG_I(op, 0);
	const char *path = ARG_S(op, 1);
	int fd;

	if (g.nsfd_n == (int)(sizeof(g.nsfd) / sizeof(g.nsfd[0])))
		die("join namespace %s (%s): too many namespaces to join", ns_name(type), path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("join namespace %s (%s): %s", ns_name(type), path, errtext(errno));
	g.nsfd[g.nsfd_n].op = op->index;
	g.nsfd[g.nsfd_n].fd = fd;
	g.nsfd_n++;
}

/* op_setns: join the namespace at path (opened by open_ns_files). */
void op_setns(const struct plan_op *op)
{
	unsigned long type = (unsigned long)ARG_I(op, 0);
	const char *path = ARG_S(op, 1);
	int fd = -1;

	for (int i = 0; i < g.nsfd_n; i++)
		if (g.nsfd[i].op == op->index) {
			fd = g.nsfd[i].fd;
			g.nsfd[i].fd = -1;
		}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("join namespace %s (%s): %s", ns_name(type), path, errtext(errno));
	if (setns(fd, (int)type) < 0)
		die("join namespace %s (%s): %s", ns_name(type), path, errtext(errno));
	close(fd);
	if (type == CLONE_NEWNS || type == 0)
		forget_mounts();
}

void op_unshare(const struct plan_op *op)
{
	unsigned long flags = (unsigned long)ARG_I(op, 0);
	char names[256];

	if (unshare((int)flags) < 0)
		die("unshare %s: %s", clone_text(flags, names, sizeof(names)), errtext(errno));
	if (flags & CLONE_NEWNS)
		forget_mounts();
}

/*
 * op_userns_sync asks the parent to write uid_map/gid_map of this process
 * (pid 0 means "the sender": the parent knows its pid, the child may not,
 * being in a new pid namespace) and waits until it did.
 */
void op_userns_sync(const struct plan_op *op)
{
	static const uint8_t me[4];

	sync_request(SYNC_USERMAP, me, sizeof(me), -1);
}

/* op_time_offsets: before the fork into the new time namespace. */
void op_time_offsets(const struct plan_op *op)
{
	const char *text = ARG_S(op, 0);

	proc_write("/proc/self/timens_offsets", "self/timens_offsets", text, strlen(text));
}

/*
 * op_fork: clone(CLONE_PARENT) so that the payload is the parent's child
 * and is the first process of namespaces that only apply to children (pid,
 * time). The middle reports the child's pid and exits; the child goes on
 * once the parent acknowledged (it knows the pid then).
 */
void op_fork(const struct plan_op *op)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);

	if (pid < 0)
		die("fork: clone(CLONE_PARENT): %s", errtext(errno));
	if (pid > 0) {
		uint32_t p = (uint32_t)pid;
		uint8_t b[4] = { p, p >> 8, p >> 16, p >> 24 };
		if (sync_send(SYNC_PID, b, sizeof(b), -1) < 0) {
			kill(pid, SIGKILL);
			die("fork: send pid: %s", errtext(errno));
		}
		_exit(0);
	}
	sync_wait_ack(NULL, NULL);
}

void op_setsid(const struct plan_op *op)
{
	if (setsid() < 0)
		die("setsid: %s", errtext(errno));
}

void op_dumpable(const struct plan_op *op)
{
	if (prctl(PR_SET_DUMPABLE, (unsigned long)ARG_I(op, 0), 0, 0, 0) < 0)
		die("prctl(PR_SET_DUMPABLE): %s", errtext(errno));
}

/* op_hostname handles OP_HOSTNAME and OP_DOMAINNAME. */
void op_hostname(const struct plan_op *op)
{
	const char *name = ARG_S(op, 0);

	if (op->code == OP_HOSTNAME) {
		if (sethostname(name, strlen(name)) < 0)
			die("sethostname: %s", errtext(errno));
	} else if (setdomainname(name, strlen(name)) < 0) {
		die("setdomainname: %s", errtext(errno));
	}
}
