// Command sysprobe makes raw system calls for the seccomp integration
// tests: each argument is NR[:ARG0[:ARG1...]] (numbers in Go syntax, so
// 0x.. works); for each it prints "NR ok R" or "NR errno E".
//
// "sysprobe signals DIR" instead records the signals it gets (TERM, USR1,
// HUP, USR2), one name per line, in DIR/sigs, after writing DIR/ready.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "signals" {
		signals(os.Args[2])
		return
	}
	for _, a := range os.Args[1:] {
		parts := strings.Split(a, ":")
		var v [7]uintptr
		for i, p := range parts {
			if i >= len(v) {
				break
			}
			n, err := strconv.ParseUint(p, 0, 64)
			if err != nil {
				fmt.Fprintf(os.Stderr, "sysprobe: bad number %q\n", p)
				os.Exit(2)
			}
			v[i] = uintptr(n)
		}
		r, _, e := syscall.RawSyscall6(v[0], v[1], v[2], v[3], v[4], v[5], v[6])
		if e != 0 {
			fmt.Printf("%d errno %d\n", v[0], int(e))
		} else {
			fmt.Printf("%d ok %d\n", v[0], r)
		}
	}
}

func signals(dir string) {
	names := map[os.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGUSR1: "USR1", syscall.SIGHUP: "HUP", syscall.SIGUSR2: "USR2"}
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGUSR2)
	f, err := os.OpenFile(dir+"/sigs", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(dir+"/ready", []byte("ready\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for sig := range ch {
		fmt.Fprintln(f, names[sig])
	}
}
