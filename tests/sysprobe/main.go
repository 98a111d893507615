// Command sysprobe makes raw system calls for the seccomp integration
// tests: each argument is NR[:ARG0[:ARG1...]] (numbers in Go syntax, so
// 0x.. works); for each it prints "NR ok R" or "NR errno E".
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

func main() {
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
