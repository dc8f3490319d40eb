package sim

import (
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// The kinds of wait the simulated sockets park greenlets in, so that a dump
// (package debug) shows a simulated read as what it is. The describers read
// only the addresses, which never change after a socket is made: a dump runs
// on the hub and must not take the network's lock.
var (
	waitSimDial   = core.RegisterWaitKind("sim.dial", describeSimConn)
	waitSimRead   = core.RegisterWaitKind("sim.read", describeSimConn)
	waitSimWrite  = core.RegisterWaitKind("sim.write", describeSimConn)
	waitSimAccept = core.RegisterWaitKind("sim.accept", describeSimListener)
	waitSimRecv   = core.RegisterWaitKind("sim.readfrom", describeSimPacket)
)

func describeSimConn(obj unsafe.Pointer) core.WaitDetail {
	c := (*Conn)(obj)
	return core.WaitDetail{Object: "sim.Conn(" + c.laddr.String() + " -> " + c.raddr.String() + ")"}
}

func describeSimListener(obj unsafe.Pointer) core.WaitDetail {
	return core.WaitDetail{Object: "sim.Listener(" + (*Listener)(obj).addr.String() + ")"}
}

func describeSimPacket(obj unsafe.Pointer) core.WaitDetail {
	return core.WaitDetail{Object: "sim.PacketConn(" + (*PacketConn)(obj).laddr.String() + ")"}
}
