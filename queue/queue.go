package queue

// Queue is a FIFO queue of items of type T, optionally bounded, whose Put and
// Get park the calling greenlet (or block the calling goroutine) while the
// queue is full or empty: gevent's Queue, which since gevent 25.4.1 is also
// its JoinableQueue (TaskDone and Join).
//
// The zero value is an empty unbounded queue; New makes a bounded one. A Queue
// must not be copied after first use. All methods are safe to call from any
// goroutine and from greenlets of any hub.
type Queue[T any] struct {
	base[T, ring[T], *ring[T]]
}

// New returns an empty FIFO queue that holds at most maxsize items; maxsize
// <= 0 means unbounded (gevent's Queue(maxsize)). For a rendezvous, where Put
// waits for a Get, use Channel.
func New[T any](maxsize int) *Queue[T] {
	q := new(Queue[T])
	q.maxsize = max(maxsize, 0)
	return q
}

// ring is a FIFO ring buffer whose length is a power of two.
//
//lint:ignore U1000 used as base's type argument: staticcheck's unused check does not follow methods called through a generic constraint (dominikh/go-tools#1440)
type ring[T any] struct {
	buf  []T
	head int // index of the oldest item
	n    int // number of items
}

func (r *ring[T]) len() int { return r.n }

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		r.resize(max(2*len(r.buf), 4))
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = v
	r.n++
}

func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero // let the garbage collector have it
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	// Give memory back after a burst, with hysteresis so that a queue
	// hovering around one size does not reallocate on every operation.
	if len(r.buf) > 64 && r.n <= len(r.buf)/8 {
		r.resize(len(r.buf) / 2)
	}
	return v
}

func (r *ring[T]) peek() T { return r.buf[r.head] }

func (r *ring[T]) clear() int {
	n := r.n
	clear(r.buf)
	r.head, r.n = 0, 0
	return n
}

// resize moves the items to a new buffer of size (a power of two >= n).
func (r *ring[T]) resize(size int) {
	buf := make([]T, size)
	if r.n > 0 {
		end := r.head + r.n
		if end <= len(r.buf) {
			copy(buf, r.buf[r.head:end])
		} else {
			k := copy(buf, r.buf[r.head:])
			copy(buf[k:], r.buf[:end-len(r.buf)])
		}
	}
	r.buf, r.head = buf, 0
}
