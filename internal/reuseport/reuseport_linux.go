//go:build linux

package reuseport

import "syscall"

// Supported reports whether the kernel balances connections among the
// sockets of one address.
const Supported = true

// Control sets SO_REUSEPORT (and SO_REUSEADDR, as net does for listeners)
// on the socket before it binds: the net.ListenConfig.Control of every
// listener of a group.
func Control(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
