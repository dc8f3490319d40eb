package socket

import (
	"context"
	"errors"
	"os"
)

// scopeTimeout is how a socket call reports a timeout that is not the
// socket's own deadline: the expiry of a gevent Timeout scope the calling
// greenlet entered, or of the deadline of a context a call took (Dial). It
// says os.ErrDeadlineExceeded and Timeout() like a deadline does, so code
// written for net.Conn handles it, and it unwraps to the cause, so that
// errors.Is(err, t) still answers "is it my timeout?".
type scopeTimeout struct{ cause error }

func (e *scopeTimeout) Error() string   { return e.cause.Error() }
func (e *scopeTimeout) Unwrap() []error { return []error{e.cause, os.ErrDeadlineExceeded} }
func (e *scopeTimeout) Timeout() bool   { return true }
func (e *scopeTimeout) Temporary() bool { return true }

// asTimeout wraps err in a scopeTimeout when it is a timeout other than
// os.ErrDeadlineExceeded itself; other errors pass unchanged.
func asTimeout(err error) error {
	if err == nil || err == os.ErrDeadlineExceeded {
		return err
	}
	if _, ok := err.(*scopeTimeout); ok {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		return &scopeTimeout{cause: err}
	}
	return err
}
