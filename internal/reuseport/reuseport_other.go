//go:build !linux

package reuseport

import (
	"errors"
	"syscall"
)

// Supported reports whether the kernel balances connections among the
// sockets of one address.
const Supported = false

// Control fails: without kernel balancing a second socket on the address
// would take connections unevenly, so servers hand off instead.
func Control(network, address string, c syscall.RawConn) error {
	return errors.New("gevent: SO_REUSEPORT balancing is not supported on this system")
}
