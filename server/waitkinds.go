package server

import (
	"strconv"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// The kinds of wait this package parks greenlets in.
var (
	waitSendLock     = core.RegisterWaitKind("server.sendlock", describeSendLock)
	waitHTTPExchange = core.RegisterWaitKind("http.exchange", nil)
)

// describeSendLock reports whether the lock is held and its waiters.
func describeSendLock(obj unsafe.Pointer) core.WaitDetail {
	l := (*sendLock)(obj)
	l.mu.Lock()
	held, n := l.held, l.waiters.Len()
	l.mu.Unlock()
	s := "free"
	if held {
		s = "held"
	}
	return core.WaitDetail{Object: "server.sendLock(" + s + ", " + strconv.Itoa(n) + " waiting)"}
}
