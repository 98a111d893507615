/*
 * Hooks run by the init itself (createContainer, startContainer): the
 * state JSON comes from the parent (OP_SYNC_HOOKS); each hook is forked and
 * exec'd with it on stdin, its stdout and stderr captured (bounded) for the
 * error text, and killed after its timeout. runc's error wording:
 *   error running createContainer hook #0: exit status 3, stdout: ..., stderr: ...
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define CAPTURE_MAX 4096

/*
 * op_sync_hooks: the parent runs prestart/createRuntime hooks and returns
 * the state JSON for createContainer hooks ("creating"), a NUL, and the
 * one for startContainer hooks ("created").
 */
void op_sync_hooks(const struct plan_op *op)
{
	uint8_t *nul;

	if (sync_send(SYNC_HOOKS, NULL, 0, -1) < 0)
		die("send sync message %u to the parent: %s", SYNC_HOOKS, errtext(errno));
	free(g.hook_state);
	g.hook_state = NULL;
	sync_wait_ack(&g.hook_state, &g.hook_state_len);
	g.start_state = g.hook_state;
	g.start_state_len = g.hook_state_len;
	nul = g.hook_state_len ? memchr(g.hook_state, 0, g.hook_state_len) : NULL;
	if (nul != NULL) {
		g.start_state = nul + 1;
		g.start_state_len = g.hook_state_len - (uint32_t)(nul + 1 - g.hook_state);
		g.hook_state_len = (uint32_t)(nul - g.hook_state);
	}
}

/* One captured output stream. */
struct capture {
	int fd;
	size_t len;
	char buf[CAPTURE_MAX];
};

/* The running hook. */
struct hook {
	const char *kind, *path;
	int index;
	pid_t pid;
	int pidfd, in;
	const uint8_t *state;
	size_t state_len, sent;
	struct capture out, err;
};

/*
 * hook_exec runs in the forked child: stdio on the pipes, default SIGPIPE,
 * no inherited fds, cwd in the rootfs before pivot_root (as runc does for
 * createContainer hooks). An exec failure is reported through status.
 */
__attribute__((noreturn)) static void hook_exec(const char *path, char **argv, char **envp, int fds[3], int status)
{
	sigset_t none;

	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			goto fail;
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (g.root_fd >= 0 && !g.jailed && fchdir(g.root_fd) < 0)
		goto fail;
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(path, argv, envp);
fail:;
	int e = errno;
	(void)!write(status, &e, sizeof(e));
	_exit(127);
}

/* drain reads what is available from one stream, keeping the first CAPTURE_MAX bytes. */
static void drain(struct capture *c)
{
	char sink[1024];
	ssize_t n;

	while (c->fd >= 0) {
		if (c->len < CAPTURE_MAX)
			n = read(c->fd, c->buf + c->len, CAPTURE_MAX - c->len);
		else
			n = read(c->fd, sink, sizeof(sink));
		if (n > 0 && c->len < CAPTURE_MAX)
			c->len += n;
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n == 0 || errno != EAGAIN) {
			close(c->fd);
			c->fd = -1;
		}
		return;
	}
}

/* feed writes more of the state JSON to the hook's stdin, closing it when done. */
static void feed(struct hook *h)
{
	while (h->in >= 0 && h->sent < h->state_len) {
		ssize_t n = write(h->in, h->state + h->sent, h->state_len - h->sent);
		if (n > 0) {
			h->sent += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break; /* EPIPE: the hook does not read its stdin */
	}
	if (h->in >= 0) {
		close(h->in);
		h->in = -1;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* hook_wait pumps stdin/stdout/stderr until the hook exits; 0 on timeout. */
static int hook_wait(struct hook *h, long long timeout_s)
{
	long long deadline = timeout_s > 0 ? now_ms() + timeout_s * 1000 : -1;

	for (;;) {
		struct pollfd p[4] = {
			{ .fd = h->pidfd, .events = POLLIN },
			{ .fd = h->out.fd, .events = POLLIN },
			{ .fd = h->err.fd, .events = POLLIN },
			{ .fd = h->in, .events = POLLOUT },
		};
		int wait = -1;
		if (deadline >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return 0;
			wait = left > 1000000 ? 1000000 : (int)left;
		}
		int n = poll(p, 4, wait);
		if (n < 0 && errno != EINTR)
			die("error running %s hook #%d: poll: %s", h->kind, h->index, errtext(errno));
		if (n == 0)
			return 0;
		if (p[3].revents)
			feed(h);
		if (p[1].revents)
			drain(&h->out);
		if (p[2].revents)
			drain(&h->err);
		if (p[0].revents) {
			/* Exited: take what is left, without waiting for grandchildren. */
			drain(&h->out);
			drain(&h->err);
			return 1;
		}
	}
}

/* exit_text describes a non-zero exit as Go's os/exec does. */
static void exit_text(const siginfo_t *si, char *buf, size_t len)
{
	if (si->si_code == CLD_EXITED) {
		snprintf(buf, len, "exit status %d", si->si_status);
		return;
	}
	const char *s = strsignal(si->si_status);
	snprintf(buf, len, "signal: %s%s", s != NULL ? s : "unknown", si->si_code == CLD_DUMPED ? " (core dumped)" : "");
	buf[8] = (char)(buf[8] >= 'A' && buf[8] <= 'Z' ? buf[8] + 32 : buf[8]);
}

static int open_pipes(int p[4][2])
{
	for (int i = 0; i < 4; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0)
			return -1;
	for (int i = 1; i < 3; i++)
		if (fcntl(p[i][0], F_SETFL, O_NONBLOCK) < 0)
			return -1;
	return fcntl(p[0][1], F_SETFL, O_NONBLOCK);
}

/* spawn forks and execs the hook; an exec failure is reported like Go's cmd.Start. */
static void spawn(struct hook *h, char **argv, char **envp)
{
	int p[4][2], e; /* stdin, stdout, stderr, exec status */

	if (open_pipes(p) < 0)
		die("error running %s hook #%d: pipe: %s", h->kind, h->index, errtext(errno));
	h->pid = fork();
	if (h->pid < 0)
		die("error running %s hook #%d: fork: %s", h->kind, h->index, errtext(errno));
	if (h->pid == 0) {
		int fds[3] = { p[0][0], p[1][1], p[2][1] };
		hook_exec(h->path, argv, envp, fds, p[3][1]);
	}
	close(p[0][0]);
	close(p[1][1]);
	close(p[2][1]);
	close(p[3][1]);
	if (read_full(p[3][0], &e, sizeof(e)) == (int)sizeof(e)) {
		waitpid(h->pid, NULL, 0);
		die("error running %s hook #%d: fork/exec %s: %s", h->kind, h->index, h->path, goerrtext(e));
	}
	close(p[3][0]);
	h->in = p[0][1];
	h->out.fd = p[1][0];
	h->err.fd = p[2][0];
	h->pidfd = sys_pidfd_open(h->pid);
	if (h->pidfd < 0)
		die("error running %s hook #%d: pidfd_open: %s", h->kind, h->index, errtext(errno));
}

/* op_hook runs one hook: kind, index, path, args, env, timeout (s, 0 = none). */
void op_hook(const struct plan_op *op)
{
	struct hook h = { .kind = ARG_S(op, 0), .index = (int)ARG_I(op, 1), .path = ARG_S(op, 2) };
	char *self[2] = { (char *)h.path, NULL };
	char **argv = ARG_LEN(op, 3) ? list_vector(ARG_P(op, 3), ARG_LEN(op, 3)) : self;
	char **envp = list_vector(ARG_P(op, 4), ARG_LEN(op, 4));
	long long timeout = ARG_I(op, 5);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	siginfo_t si = { 0 };
	char why[64];

	if (strcmp(h.kind, "startContainer") == 0) {
		h.state = g.start_state;
		h.state_len = g.start_state_len;
	} else {
		h.state = g.hook_state;
		h.state_len = g.hook_state_len;
	}
	sigaction(SIGPIPE, &ign, &old);
	spawn(&h, argv, envp);
	feed(&h);
	if (!hook_wait(&h, timeout)) {
		syscall(SYS_pidfd_send_signal, h.pidfd, SIGKILL, NULL, 0);
		waitid((idtype_t)P_PIDFD, h.pidfd, &si, WEXITED);
		die("error running %s hook #%d: timeout after %lld second%s", h.kind, h.index, timeout,
		    timeout == 1 ? "" : "s");
	}
	if (waitid((idtype_t)P_PIDFD, h.pidfd, &si, WEXITED) < 0)
		die("error running %s hook #%d: wait: %s", h.kind, h.index, errtext(errno));
	sigaction(SIGPIPE, &old, NULL);
	if (si.si_code != CLD_EXITED || si.si_status != 0) {
		exit_text(&si, why, sizeof(why));
		die("error running %s hook #%d: %s, stdout: %.*s, stderr: %.*s", h.kind, h.index, why,
		    (int)h.out.len, h.out.buf, (int)h.err.len, h.err.buf);
	}
	if (h.in >= 0)
		close(h.in);
	if (h.out.fd >= 0)
		close(h.out.fd);
	if (h.err.fd >= 0)
		close(h.err.fd);
	close(h.pidfd);
	if (argv != self)
		free(argv);
	free(envp);
}
