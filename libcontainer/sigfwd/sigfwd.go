// Package sigfwd forwards the signals husk receives to a foreground
// process (husk run / exec without -d), as runc does with all of them but
// SIGCHLD, SIGURG and SIGWINCH.
//
// It installs a small C handler that calls kill(2) on the process instead
// of using os/signal: enabling a signal for signal.Notify costs a round
// trip with the Go runtime's signal-mask thread (two context switches),
// ~60 of them for every signal, about a fifth of a whole `husk run` here.
// The handler is async-signal-safe (one kill, errno saved), runs on the
// signal stack Go gives every thread (SA_ONSTACK) and restarts interrupted
// system calls. Signals the Go runtime needs (the synchronous faults,
// SIGPROF, SIGURG, SIGPIPE, glibc's 32 and 33) stay with the Go runtime.
package sigfwd

/*
#cgo CFLAGS: -Wall -Wextra -Wno-unused-parameter -O2 -D_GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t husk_fwd_pid;

static void husk_fwd(int sig)
{
	int e = errno;

	if (husk_fwd_pid > 0)
		kill(husk_fwd_pid, sig);
	errno = e;
}

static int husk_forwarded(int sig)
{
	switch (sig) {
	case SIGKILL: case SIGSTOP:                   // cannot be caught
	case SIGCHLD: case SIGURG: case SIGWINCH:     // not forwarded (runc)
	case SIGSEGV: case SIGBUS: case SIGFPE:       // the Go runtime's
	case SIGILL: case SIGTRAP: case SIGSYS:
	case SIGPROF: case SIGPIPE:
		return 0;
	}
	return sig < 32 || sig >= SIGRTMIN;
}

// husk_forward_signals: -1 with errno on the first failing sigaction.
static int husk_forward_signals(int pid)
{
	struct sigaction sa;

	husk_fwd_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = husk_fwd;
	sa.sa_flags = SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (!husk_forwarded(sig))
			continue;
		if (sigaction(sig, &sa, NULL) < 0)
			return -sig;
	}
	return 0;
}

static int husk_is_forwarded(int sig) { return husk_forwarded(sig); }

static void husk_forward_signals_stop(void) { husk_fwd_pid = 0; }
*/
import "C"

import "fmt"

// Forward sends every forwardable signal husk gets from now on to pid.
func Forward(pid int) error {
	if r := C.husk_forward_signals(C.int(pid)); r < 0 {
		return fmt.Errorf("forward signals: sigaction(%d) failed", -r)
	}
	return nil
}

// Forwarded tells whether sig is forwarded (for tests).
func Forwarded(sig int) bool { return C.husk_is_forwarded(C.int(sig)) != 0 }

// Stop forwards nothing more (the process was reaped: its pid may be
// reused); signals that arrive later are dropped, the handlers stay.
func Stop() { C.husk_forward_signals_stop() }
