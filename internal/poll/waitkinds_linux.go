package poll

import (
	"strconv"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// The kinds of wait a Desc parks greenlets in; the object is the Desc.
var (
	waitRead  = core.RegisterWaitKind("io.read", describeDesc)
	waitWrite = core.RegisterWaitKind("io.write", describeDesc)
)

// describeDesc reports the descriptor: "fd 7".
func describeDesc(obj unsafe.Pointer) core.WaitDetail {
	d := (*Desc)(obj)
	d.mu.Lock()
	fd, closed := d.fd, d.closed
	d.mu.Unlock()
	s := "fd " + strconv.Itoa(int(fd))
	if closed {
		s += " (closed)"
	}
	return core.WaitDetail{Object: s}
}
