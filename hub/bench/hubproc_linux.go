package bench

import "syscall"

// hubProcAttr puts the hub in a process group of its own and asks the
// kernel to send it SIGTERM if this process dies.
func hubProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
