package queue

// LifoQueue is a queue that hands out the most recently added item first
// (gevent's LifoQueue). Apart from the order it behaves exactly like Queue,
// TaskDone and Join included.
//
// The zero value is an empty unbounded LifoQueue; NewLifo makes a bounded
// one. A LifoQueue must not be copied after first use. All methods are safe
// to call from any goroutine and from greenlets of any hub.
type LifoQueue[T any] struct {
	base[T, stack[T], *stack[T]]
}

// NewLifo returns an empty LIFO queue that holds at most maxsize items;
// maxsize <= 0 means unbounded.
func NewLifo[T any](maxsize int) *LifoQueue[T] {
	q := new(LifoQueue[T])
	q.maxsize = max(maxsize, 0)
	return q
}

// stack is a LIFO container.
//
//lint:ignore U1000 used as base's type argument: staticcheck's unused check does not follow methods called through a generic constraint (dominikh/go-tools#1440)
type stack[T any] struct {
	s []T
}

func (s *stack[T]) len() int   { return len(s.s) }
func (s *stack[T]) push(v T)   { s.s = append(s.s, v) }
func (s *stack[T]) peek() T    { return s.s[len(s.s)-1] }
func (s *stack[T]) clear() int { n := len(s.s); clear(s.s); s.s = s.s[:0]; return n }

func (s *stack[T]) pop() T {
	var zero T
	n := len(s.s) - 1
	v := s.s[n]
	s.s[n] = zero // let the garbage collector have it
	s.s = s.s[:n]
	if cap(s.s) > 64 && n <= cap(s.s)/8 {
		s.s = append([]T(nil), s.s...) // give memory back after a burst
	}
	return v
}
