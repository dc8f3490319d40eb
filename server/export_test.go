package server

import "time"

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
