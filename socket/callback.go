package socket

import "github.com/gevent-go/gevent/internal/core"

// A call of a hub-bound value made while its hub runs no greenlet has
// nobody to park. From a plain goroutine, or after the hub stopped, it
// blocks like the standard library's. Inside a hub callback, on the hub's
// own goroutine, blocking would freeze the hub (and every greenlet that
// could end the wait): the call then makes its non-blocking attempt and
// panics when it would have to wait, as gevent raises BlockingSwitchOutError.
// A nil *core.G stands for "in a callback" through the fast paths.

// mustPark panics, naming op, when g is nil: the call would wait inside a
// hub callback.
func mustPark(g *core.G, op string) {
	if g == nil {
		panic("gevent/socket: " + op + " inside a hub callback (link callback, timer or posted function) would block the hub; " +
			"spawn a greenlet for I/O that must wait")
	}
}
