//go:build !linux

package control

import (
	"errors"
	"net"
	"syscall"
)

// sameUser relies on the socket's mode alone where peer credentials are
// not read.
type sameUser struct{ net.Listener }

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
