// Package nsenter holds husk's init in C: a constructor that runs before the
// Go runtime in every husk process, and in the re-exec'd `husk init` (the
// _HUSK_INITPIPE variable set) reads the init plan from the pipe, executes it
// op by op (namespaces, mounts, devices, console, credentials, seccomp) and
// execs the payload. The Go runtime never starts in the init.
//
// Import it for its side effect from the husk binary (and from tests that
// re-exec their own binary as an init).
package nsenter

/*
#cgo CFLAGS: -Wall -Wextra -Wno-unused-parameter -O2 -D_GNU_SOURCE
*/
import "C"
