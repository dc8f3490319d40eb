package debug

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/gevent-go/gevent/internal/core"
)

// Snapshot is a picture of some hubs, each taken on its own goroutine
// between two of its tasks.
type Snapshot struct {
	Taken time.Time `json:"taken"`
	Hubs  []Hub     `json:"hubs"` // creation order

	scratch []*scratch // borrowed by a transient snapshot, until released
}

// release returns the memory a transient snapshot borrowed.
func (s *Snapshot) release() {
	for _, sc := range s.scratch {
		sc.release()
	}
	s.scratch = nil
}

// Hub is one hub in a Snapshot.
type Hub struct {
	ID    uint64        `json:"id"`    // creation order in the process, from 1
	Name  string        `json:"name"`  // gevent.WithHubName, default "hub-<id>"
	Phase string        `json:"phase"` // idle, running, stopping, closed
	Clock time.Duration `json:"clock_ns"`
	// RunQueue counts the tasks queued on the hub, Timers its armed timers.
	RunQueue int `json:"runq"`
	Timers   int `json:"timers"`
	// Pause is how long taking the snapshot held the hub.
	Pause time.Duration `json:"pause_ns"`
	// Responded is false when the hub did not take the snapshot in time (a
	// greenlet or callback holds it: it never reaches a switch point) or
	// is not served yet (Phase "idle"). Then only ID, Name, Phase and
	// Holder are set.
	Responded bool `json:"responded"`
	// Holder names what holds a hub that did not respond: the greenlet (or
	// a callback) and the function it is in, and how long ago its stall
	// monitor reported the hold if it has one ("" when nothing holds it).
	Holder string `json:"holder,omitempty"`
	// Greenlets are the live greenlets, in spawn order; the tree is their
	// Parent links.
	Greenlets []Greenlet `json:"greenlets"`
}

// Greenlet is one live greenlet in a Snapshot.
type Greenlet struct {
	ID     int    `json:"id"`     // the hub's small id (gevent's minimal_ident)
	Parent int    `json:"parent"` // -1: a root (no parent, or the parent has ended)
	Name   string `json:"name"`
	// Func is the greenlet's function ("pkg.Func.func1"), when known.
	Func string `json:"func,omitempty"`
	// State is "scheduled" (its first run is queued), "runnable" (queued
	// to resume), "running" (the greenlet that took the snapshot) or
	// "parked" (in a wait: see Wait).
	State string `json:"state"`
	Wait  *Wait  `json:"wait,omitempty"`
	// SpawnSite is the first frame of the spawning stack outside this
	// module ("file.go:42"), and SpawnStack the stack, when the hub
	// records spawn stacks (gevent.WithSpawnStacks; the stack only with
	// the SpawnStacks option).
	SpawnSite  string  `json:"spawned_at,omitempty"`
	SpawnStack []Frame `json:"spawn_stack,omitempty"`
}

// Wait is what a parked greenlet waits on.
type Wait struct {
	// Kind is the kind of wait: "event", "asyncresult", "semaphore",
	// "lock", "queue.get", "queue.put", "queue.join", "channel.get",
	// "channel.put", "pool.slot", "group.join", "wait.any", "join", "sleep",
	// "idle", "io.read", "io.write", "blocking", ...
	Kind string `json:"kind"`
	// Object describes the object and its state ("" when the wait has
	// none, as a sleep); ObjectID is the same for every wait on one object
	// within a snapshot (0: none).
	Object   string `json:"object,omitempty"`
	ObjectID int    `json:"object_id,omitempty"`
	// Waiting is how long the greenlet has waited (about a millisecond's
	// resolution); Deadline, for a sleep, the time left.
	Waiting  time.Duration `json:"waiting_ns"`
	Deadline time.Duration `json:"deadline_in_ns,omitempty"`
	// Wakers are the ids of the greenlets that alone can end the wait (a
	// join's target, a lock's owner), when known; -1 stands for one that
	// has ended or lives on another hub.
	Wakers []int `json:"wakers,omitempty"`
}

// Frame is one frame of a stack.
type Frame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// Option configures Capture.
type Option func(*config)

type config struct {
	// transient: the snapshot is rendered and dropped at once (WriteText,
	// WriteJSON), so it may borrow pooled memory.
	transient bool
	timeout   time.Duration
	hubs      []string
	stacks    bool
	filter    func(*Greenlet) bool
}

// Timeout bounds how long Capture waits for each hub to take its snapshot
// (default 1s); a hub that does not is reported with Responded false.
// d must be positive: with none, no hub could respond.
func Timeout(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("gevent/debug: Timeout(%v): must be positive", d))
	}
	return func(c *config) { c.timeout = d }
}

// Hubs limits the snapshot to the hubs with these names or ids (decimal).
func Hubs(namesOrIDs ...string) Option {
	return func(c *config) { c.hubs = append(c.hubs, namesOrIDs...) }
}

// SpawnStacks includes each greenlet's whole spawning stack (where the hub
// records them) rather than only its spawn site.
func SpawnStacks() Option { return func(c *config) { c.stacks = true } }

// Filter keeps only the greenlets for which keep reports true (it runs on
// the caller's goroutine, on the rendered Greenlet); a kept greenlet whose
// parent is not kept is shown as a root.
func Filter(keep func(*Greenlet) bool) Option { return func(c *config) { c.filter = keep } }

// Capture snapshots every hub of the process that has not closed (the Hubs
// option: only some), waiting at most Timeout for each (all at once), or
// until ctx ends. ctx is the caller's: from a greenlet, its own hub is
// captured directly (the caller shows as running) and the others while the
// greenlet parks; from a plain goroutine, each hub is asked from a
// goroutine of its own.
func Capture(ctx context.Context, opts ...Option) *Snapshot {
	mustCtx(ctx, "Capture")
	return capture(ctx, core.Hubs(), opts)
}

// CaptureHub snapshots the hub that ctx belongs to: the calling greenlet's
// hub (the capture then runs at once, and the caller is "running"), or the
// hub of a hub context. ctx without a hub gives an empty Snapshot.
func CaptureHub(ctx context.Context, opts ...Option) *Snapshot {
	mustCtx(ctx, "CaptureHub")
	h := core.HubOf(ctx)
	if h == nil {
		return &Snapshot{Taken: time.Now()}
	}
	return capture(ctx, []*core.Hub{h}, opts)
}

// WriteText captures as Capture does and writes the text form to w
// (Snapshot.WriteText) at once: the snapshot is never handed out, so it
// borrows pooled memory, and a dump of many greenlets allocates almost
// nothing. A Filter's keep must not retain the *Greenlet it is given.
func WriteText(ctx context.Context, w io.Writer, opts ...Option) error {
	mustCtx(ctx, "WriteText")
	mustWriter(w, "WriteText")
	return writeNow(ctx, core.Hubs(), opts, (*Snapshot).WriteText, w)
}

// WriteJSON is WriteText for the JSON form (Snapshot.WriteJSON).
func WriteJSON(ctx context.Context, w io.Writer, opts ...Option) error {
	mustCtx(ctx, "WriteJSON")
	mustWriter(w, "WriteJSON")
	return writeNow(ctx, core.Hubs(), opts, (*Snapshot).WriteJSON, w)
}

// mustCtx refuses a nil ctx with a message naming the call (a capture
// from a plain goroutine waits on ctx.Done).
func mustCtx(ctx context.Context, what string) {
	if ctx == nil {
		panic("gevent/debug: " + what + ": nil ctx")
	}
}

// mustWriter refuses a nil writer before anything is captured (the hubs
// would pause for a dump that cannot be written).
func mustWriter(w io.Writer, what string) {
	if w == nil {
		panic("gevent/debug: " + what + ": nil io.Writer")
	}
}

// writeNow captures a transient snapshot, writes it with write and
// releases it.
func writeNow(ctx context.Context, hubs []*core.Hub, opts []Option, write func(*Snapshot, io.Writer) error, w io.Writer) error {
	s := capture(ctx, hubs, append(opts, func(c *config) { c.transient = true }))
	defer s.release()
	return write(s, w)
}

func capture(ctx context.Context, hubs []*core.Hub, opts []Option) *Snapshot {
	c := config{timeout: time.Second}
	for _, o := range opts {
		o(&c)
	}
	if len(c.hubs) > 0 {
		hubs = selectHubs(hubs, c.hubs)
	}
	s := &Snapshot{Taken: time.Now(), Hubs: make([]Hub, len(hubs))}
	raw := make([]*core.HubSnapshot, len(hubs))
	for i := range raw {
		raw[i] = rawPool.Get().(*core.HubSnapshot)
	}
	defer func() {
		for _, x := range raw {
			x.Release()
			rawPool.Put(x)
		}
	}()
	ok := make([]bool, len(hubs))
	pause := make([]time.Duration, len(hubs))
	var wg sync.WaitGroup
	for i, h := range hubs {
		take := func() {
			ok[i] = h.OnHub(ctx, c.timeout, func() {
				start := time.Now()
				h.Snapshot(raw[i])
				pause[i] = time.Since(start)
			})
		}
		if core.Current(ctx) != nil {
			take() // a greenlet: one at a time, parked (its hub runs on)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			take()
		}()
	}
	wg.Wait()
	r := newResolver(c.stacks)
	for i, h := range hubs {
		out := &s.Hubs[i]
		out.ID, out.Name = h.ID(), h.Name()
		if !ok[i] {
			out.Phase = h.Phase()
			out.Holder = holderOf(h)
			continue
		}
		out.Responded, out.Pause = true, pause[i]
		var sc *scratch
		if c.transient {
			sc = scratchPool.Get().(*scratch)
			s.scratch = append(s.scratch, sc)
		}
		r.convert(out, raw[i], c.filter, sc)
	}
	return s
}

// rawPool keeps the hub-side copies between captures: taking one then
// allocates nothing on the hub (an allocation there could make the hub
// assist a garbage collection, which is what a pause must avoid).
var rawPool = sync.Pool{New: func() any { return new(core.HubSnapshot) }}

// holderOf names what holds a hub that did not respond (stalls.go).
var holderOf = nameHolder

// selectHubs keeps the hubs named (or numbered) in want.
func selectHubs(hubs []*core.Hub, want []string) []*core.Hub {
	var out []*core.Hub
	for _, h := range hubs {
		for _, w := range want {
			if w == h.Name() || w == strconv.FormatUint(h.ID(), 10) {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// resolver turns a core snapshot into the exported types, resolving
// functions and stacks once per PC.
type resolver struct {
	stacks bool
	funcs  map[uintptr]string
	frames map[uintptr][]Frame
}

func newResolver(stacks bool) *resolver {
	return &resolver{stacks: stacks, funcs: map[uintptr]string{}, frames: map[uintptr][]Frame{}}
}

// scratch is the memory one hub's conversion uses. A Snapshot returned to
// the caller gets fresh memory (sc nil); a dump rendered at once (WriteText,
// WriteJSON, the handler) borrows it from scratchPool, so that a dump of
// many greenlets allocates almost nothing and triggers no garbage
// collection, which at 100,000 parked greenlets (a stack each to scan) is
// what a dump's worst case is made of.
type scratch struct {
	greenlets []Greenlet
	waits     []Wait
	names     []string
	objText   []string
	objWakers [][]int
	wakers    []int
	ends      []int
	objEnds   []int
	byID      []int32
	buf, buf2 []byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// release drops the references the scratch holds and returns it.
func (sc *scratch) release() {
	clear(sc.greenlets[:cap(sc.greenlets)])
	clear(sc.waits[:cap(sc.waits)])
	clear(sc.names[:cap(sc.names)])
	clear(sc.objText[:cap(sc.objText)])
	clear(sc.objWakers[:cap(sc.objWakers)])
	scratchPool.Put(sc)
}

// sized returns s with length n and zero elements: from sc's memory when
// it has room, else fresh.
func sized[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// bytesString returns b's bytes as a string without copying them: b is a
// scratch buffer that nothing writes until the scratch is released (a
// returned Snapshot's scratch never is), after the strings' last use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (r *resolver) convert(out *Hub, in *core.HubSnapshot, keep func(*Greenlet) bool, sc *scratch) {
	out.Phase, out.Clock, out.RunQueue, out.Timers = in.Phase, in.Clock, in.RunQueue, in.Timers
	n := len(in.Greenlets)
	// One array each for the waits, the default names and the wakers: a
	// dump of many greenlets allocates a handful of times, not per
	// greenlet (the garbage collector scans every parked greenlet's stack
	// in each cycle, so cycles are what a large dump must avoid).
	maxID, parked, unnamed := int32(-1), 0, 0
	for i := range in.Greenlets {
		gi := &in.Greenlets[i]
		maxID = max(maxID, gi.ID)
		if gi.State == core.GParked {
			parked++
		}
		if gi.Name == "" {
			unnamed++
		}
	}
	if sc == nil {
		sc = &scratch{} // fresh memory, never reused
	}
	waits := sized(sc.waits, parked)[:0]
	out.Greenlets = sized(sc.greenlets, n)[:0]
	byID := sized(sc.byID, int(maxID)+1) // id → index+1
	names := sized(sc.names, n)
	buf := sc.buf[:0]
	if need := unnamed * len("Greenlet-100000"); cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	ends := sized(sc.ends, n)
	for i := range in.Greenlets {
		gi := &in.Greenlets[i]
		byID[gi.ID] = int32(i + 1)
		if gi.Name == "" {
			buf = append(buf, "Greenlet-"...)
			buf = strconv.AppendInt(buf, int64(gi.ID), 10)
		}
		ends[i] = len(buf)
	}
	all := bytesString(buf) // one string for every default name
	for i := range in.Greenlets {
		if names[i] = in.Greenlets[i].Name; names[i] == "" {
			start := 0
			if i > 0 {
				start = ends[i-1]
			}
			names[i] = all[start:ends[i]]
		}
	}
	nw := 0
	for _, o := range in.Objects {
		nw += len(o.Wakers)
	}
	wakers := sized(sc.wakers, nw)[:0]
	objWakers := sized(sc.objWakers, len(in.Objects))
	objText := sized(sc.objText, len(in.Objects))
	for k, o := range in.Objects {
		start := len(wakers)
		for _, w := range o.Wakers {
			wakers = append(wakers, int(w))
		}
		if len(wakers) > start {
			objWakers[k] = wakers[start:len(wakers):len(wakers)]
		}
		objText[k] = o.Object
		if o.Kind == core.WaitJoin {
			objText[k] = "greenlet (ended)"
		}
	}
	// Join targets are named from the snapshot, in one more shared array.
	buf2 := sc.buf2[:0]
	objEnds := sized(sc.objEnds, len(in.Objects))
	for k, o := range in.Objects {
		if t := o.Target; o.Kind == core.WaitJoin && t >= 0 && t <= maxID && byID[t] != 0 {
			buf2 = append(buf2, "greenlet "...)
			buf2 = append(buf2, names[byID[t]-1]...)
			buf2 = append(buf2, " #"...)
			buf2 = strconv.AppendInt(buf2, int64(t), 10)
		}
		objEnds[k] = len(buf2)
	}
	all = bytesString(buf2)
	for k := range in.Objects {
		start := 0
		if k > 0 {
			start = objEnds[k-1]
		}
		if objEnds[k] > start {
			objText[k] = all[start:objEnds[k]]
		}
	}
	// Keep what grew for the next dump that borrows sc.
	sc.waits, sc.greenlets, sc.byID, sc.names, sc.buf, sc.ends = waits, out.Greenlets, byID, names, buf, ends
	sc.wakers, sc.objWakers, sc.objText, sc.buf2, sc.objEnds = wakers, objWakers, objText, buf2, objEnds
	for i := range in.Greenlets {
		gi := &in.Greenlets[i]
		// Filled in place: a Greenlet passed by address to keep from a
		// local variable would be allocated per greenlet.
		out.Greenlets = append(out.Greenlets, Greenlet{ID: int(gi.ID), Parent: int(gi.Parent), Name: names[i], State: gi.State.String()})
		g := &out.Greenlets[len(out.Greenlets)-1]
		if pc := core.FuncPC(gi.Func); pc != 0 {
			g.Func = r.funcName(pc)
		}
		if len(gi.SpawnPCs) > 0 {
			g.SpawnSite = r.site(gi.SpawnPCs)
			if r.stacks {
				for _, pc := range gi.SpawnPCs {
					g.SpawnStack = append(g.SpawnStack, r.frame(pc)...)
				}
			}
		}
		if gi.State == core.GParked {
			w := Wait{Kind: gi.Wait.Kind.String(), Waiting: gi.Wait.For, Deadline: gi.Wait.Deadline}
			if k := gi.Wait.Obj; k >= 0 {
				w.Object, w.ObjectID, w.Wakers = objText[k], int(k)+1, objWakers[k]
			}
			waits = append(waits, w)
			g.Wait = &waits[len(waits)-1]
		}
		if keep != nil && !keep(g) {
			out.Greenlets = out.Greenlets[:len(out.Greenlets)-1]
		}
	}
}

func (r *resolver) funcName(pc uintptr) string {
	if s, ok := r.funcs[pc]; ok {
		return s
	}
	s := ""
	if f := runtime.FuncForPC(pc); f != nil {
		s = f.Name()
		s = s[strings.LastIndex(s, "/")+1:]
	}
	r.funcs[pc] = s
	return s
}

// frame expands one return PC into its frames (more than one when calls
// were inlined).
func (r *resolver) frame(pc uintptr) []Frame {
	if fs, ok := r.frames[pc]; ok {
		return fs
	}
	var fs []Frame
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		f, more := frames.Next()
		if f.Function != "" {
			fs = append(fs, Frame{Function: f.Function, File: f.File, Line: f.Line})
		}
		if !more {
			break
		}
	}
	r.frames[pc] = fs
	return fs
}

// site returns "file.go:line" of the first frame outside the library.
func (r *resolver) site(pcs []uintptr) string {
	for _, pc := range pcs {
		for _, f := range r.frame(pc) {
			if !libraryFrame(f.Function) {
				return f.File[strings.LastIndex(f.File, "/")+1:] + ":" + strconv.Itoa(f.Line)
			}
		}
	}
	return ""
}

// modulePath prefixes the functions of this module.
const modulePath = "github.com/gevent-go/gevent"

// libraryFrame reports whether fn belongs to the library itself (not to a
// test package or an example of the module) or to the runtime.
func libraryFrame(fn string) bool {
	if strings.HasPrefix(fn, "runtime.") {
		return true
	}
	if !strings.HasPrefix(fn, modulePath) {
		return false
	}
	rest := fn[len(modulePath):]
	pkg := rest
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		pkg = rest[:i]
	}
	return !strings.HasSuffix(pkg, "_test") && !strings.HasPrefix(pkg, "/examples/")
}
