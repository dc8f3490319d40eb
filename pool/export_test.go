package pool

import "github.com/gevent-go/gevent"

// SetTestHookKill installs f to be called each time a group delivers a kill
// to a member, and returns a function restoring the previous hook.
func SetTestHookKill(f func(gevent.Task)) (restore func()) {
	old := testHookKill
	testHookKill = f
	return func() { testHookKill = old }
}
