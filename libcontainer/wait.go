package libcontainer

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// Process is a payload husk started and can wait for (run and exec in the
// foreground): it is husk's child.
type Process struct {
	Pid int
	tty *ttyProxy
}

// Wait proxies the terminal, forwards husk's signals to the process and
// returns its exit status (128+N when killed by signal N).
func (p *Process) Wait() int {
	p.tty.start()
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)
	defer signal.Stop(sigs)
	done := make(chan int, 1)
	go func() {
		var ws unix.WaitStatus
		for {
			_, err := unix.Wait4(p.Pid, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				done <- 255
				return
			}
			break
		}
		switch {
		case ws.Exited():
			done <- ws.ExitStatus()
		case ws.Signaled():
			done <- 128 + int(ws.Signal())
		default:
			done <- 255
		}
	}()
	for {
		select {
		case code := <-done:
			p.tty.wait()
			p.tty.close()
			return code
		case s := <-sigs:
			sig := s.(unix.Signal)
			switch sig {
			case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH:
				continue
			}
			_ = unix.Kill(p.Pid, sig)
		}
	}
}
