package server

import (
	"net"
	"time"
)

// SetAcceptDelayHook makes the accept loops call f with each back-off delay
// before sleeping it; it returns a function that removes the hook.
func SetAcceptDelayHook(f func(time.Duration)) (restore func()) {
	old := testHookAcceptDelay
	testHookAcceptDelay = f
	return func() { testHookAcceptDelay = old }
}

// Backoff is the accept back-off step.
var Backoff = backoff

// SetHTTPDefaults replaces ServeHTTP's default read-header and idle
// timeouts; it returns a function that restores them.
func SetHTTPDefaults(readHeader, idle time.Duration) (restore func()) {
	oldRH, oldIdle := defaultReadHeaderTimeout, defaultIdleTimeout
	defaultReadHeaderTimeout, defaultIdleTimeout = readHeader, idle
	return func() { defaultReadHeaderTimeout, defaultIdleTimeout = oldRH, oldIdle }
}

// SetListenEachHook makes ListenAndServe over a group of hubs call f with
// the address its per-hub sockets listen on; it returns a function that
// removes the hook.
func SetListenEachHook(f func(net.Addr)) (restore func()) {
	old := testHookListenEach
	testHookListenEach = f
	return func() { testHookListenEach = old }
}

// MaxAccept is how many connections an accept loop takes before it lets
// other greenlets run.
const MaxAccept = maxAccept
