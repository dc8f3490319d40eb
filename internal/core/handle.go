package core

// Handle holds the core of a typed greenlet handle: the root package's
// Greenlet[T] embeds it, under an unexported alias, as its first field.
// Embedding gives every *Greenlet[T] the method handleG, which is unexported
// and declared here, so that the module's other packages find the core of a
// gevent.Task with TaskG: no hook set at init, and nothing on Greenlet that
// go doc shows or a user can call (Handle has no exported field or method).
type Handle struct{ g G }

func (h *Handle) handleG() *G { return &h.g }

// HandleG returns the greenlet core that h holds (for the root package).
func HandleG(h *Handle) *G { return &h.g }

// TaskG returns the greenlet core of t, a non-nil *gevent.Greenlet[T] of
// any T, and nil for a value that embeds no Handle. (For a nil
// *gevent.Greenlet the promoted method dereferences nil: check first.)
func TaskG(t any) *G {
	if h, ok := t.(interface{ handleG() *G }); ok {
		return h.handleG()
	}
	return nil
}
