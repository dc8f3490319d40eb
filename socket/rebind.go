package socket

import "net"

// A value of this package wrapped again for another hub (WrapConn,
// WrapListener, WrapPacketConn) is not stacked on the old one: the old
// value's methods park and read the scratch state of its own hub's running
// greenlet, so called from another hub (or from the goroutine an
// off-the-hub call runs on) they would act on a greenlet that is not the
// caller's. The new value takes the connection under the old one instead,
// and keeps the old one's fast-path state as prev, so that closing the new
// value also releases the old value's poller registration (the registration
// holds the old value, and nothing else would release it once the new
// value has closed the descriptor).

// descCloser is the fast-path state of a rebound value: its close ends the
// descriptor's registration and wakes its parked calls with net.ErrClosed.
type descCloser interface{ close() }

// boundConn returns the *Conn that c is or embeds (a *PacketConn), or nil
// when c is not one of this package's values.
func boundConn(c net.Conn) *Conn {
	switch v := c.(type) {
	case *Conn:
		return v
	case *PacketConn:
		return &v.Conn
	}
	return nil
}
