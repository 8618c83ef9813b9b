//go:build !linux

package bench

import "syscall"

// hubProcAttr: the hub is started as any child elsewhere than on Linux.
func hubProcAttr() *syscall.SysProcAttr { return nil }
