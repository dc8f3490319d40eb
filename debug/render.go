package debug

import (
	"bufio"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Rendering streams into one buffered writer with strconv's Append
// functions: no string per greenlet and no reflection, so that a dump of a
// hundred thousand greenlets renders in tens of milliseconds.

const renderBuffer = 256 << 10

// writerPool keeps the render buffers between dumps.
var writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, renderBuffer) }}

// treePool keeps walkTree's index arrays between dumps.
var treePool = sync.Pool{New: func() any { return new([]int32) }}

// WriteText writes the snapshot for people: a header line per hub, then its
// greenlets as a tree, one a line, children indented under their parent in
// spawn order:
//
//	hub main #1: running, clock 2.1s, 3 greenlets, runq 0, timers 0, paused 12µs for this dump
//	  main #0 parked on join greenlet worker #1 for 2.001s [main.main.func1]
//	    worker #1 parked on event event.Event(clear, 1 waiting) for 2.001s [main.worker] spawned at main.go:31
func (s *Snapshot) WriteText(w io.Writer) error {
	mustWriter(w, "Snapshot.WriteText")
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		writerPool.Put(bw)
	}()
	b := make([]byte, 0, 512)
	b = append(b, "gevent dump at "...)
	b = s.Taken.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, ": "...)
	b = strconv.AppendInt(b, int64(len(s.Hubs)), 10)
	b = append(b, " hub"...)
	if len(s.Hubs) != 1 {
		b = append(b, 's')
	}
	b = append(b, '\n')
	bw.Write(b)
	for i := range s.Hubs {
		h := &s.Hubs[i]
		b = append(b[:0], "hub "...)
		b = append(b, h.Name...)
		b = append(b, " #"...)
		b = strconv.AppendUint(b, h.ID, 10)
		b = append(b, ": "...)
		if !h.Responded && h.Phase == "idle" {
			b = append(b, "idle, not served yet\n"...)
			bw.Write(b)
			continue
		}
		if !h.Responded {
			b = append(b, h.Phase...)
			b = append(b, ", did not respond in time"...)
			if h.Holder != "" {
				b = append(b, " (held by "...)
				b = append(b, h.Holder...)
				b = append(b, ')')
			} else if h.Phase == "running" || h.Phase == "stopping" {
				b = append(b, " (a greenlet or callback holds it)"...)
			}
			b = append(b, '\n')
			bw.Write(b)
			continue
		}
		b = append(b, h.Phase...)
		b = append(b, ", clock "...)
		b = appendDur(b, h.Clock)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(len(h.Greenlets)), 10)
		b = append(b, " greenlets, runq "...)
		b = strconv.AppendInt(b, int64(h.RunQueue), 10)
		b = append(b, ", timers "...)
		b = strconv.AppendInt(b, int64(h.Timers), 10)
		b = append(b, ", paused "...)
		b = appendDur(b, h.Pause)
		b = append(b, " for this dump\n"...)
		bw.Write(b)
		walkTree(h.Greenlets, func(g *Greenlet, depth int) {
			b = b[:0]
			for range depth + 1 {
				b = append(b, "  "...)
			}
			b = appendGreenletText(b, g)
			b = append(b, '\n')
			bw.Write(b)
		})
	}
	return bw.Flush()
}

// appendGreenletText appends one greenlet's line (without indent).
func appendGreenletText(b []byte, g *Greenlet) []byte {
	b = append(b, g.Name...)
	b = append(b, " #"...)
	b = strconv.AppendInt(b, int64(g.ID), 10)
	b = append(b, ' ')
	b = append(b, g.State...)
	if w := g.Wait; w != nil {
		b = append(b, " on "...)
		b = append(b, w.Kind...)
		if w.Object != "" {
			b = append(b, ' ')
			b = append(b, w.Object...)
		}
		b = append(b, " for "...)
		b = appendDur(b, w.Waiting)
		if w.Deadline > 0 {
			b = append(b, " (due in "...)
			b = appendDur(b, w.Deadline)
			b = append(b, ')')
		}
	}
	if g.Func != "" {
		b = append(b, " ["...)
		b = append(b, g.Func...)
		b = append(b, ']')
	}
	if g.SpawnSite != "" {
		b = append(b, " spawned at "...)
		b = append(b, g.SpawnSite...)
	}
	for _, f := range g.SpawnStack {
		b = append(b, "\n\t\t"...)
		b = append(b, f.Function...)
		b = append(b, "\n\t\t\t"...)
		b = append(b, f.File...)
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(f.Line), 10)
	}
	return b
}

// appendDur appends d rounded for people: "850µs", "12.345ms", "2.001s".
func appendDur(b []byte, d time.Duration) []byte {
	switch {
	case d < time.Millisecond:
		b = strconv.AppendInt(b, int64(d/time.Microsecond), 10)
		return append(b, "µs"...)
	case d < time.Second:
		b = strconv.AppendFloat(b, float64(d)/1e6, 'f', 3, 64)
		return append(b, "ms"...)
	case d < time.Minute:
		b = strconv.AppendFloat(b, d.Seconds(), 'f', 3, 64)
		return append(b, 's')
	}
	return append(b, d.Round(time.Second).String()...)
}

// walkTree calls visit for each greenlet in depth-first order: the roots
// (greenlets whose parent is not in gs) in order, each followed by its
// children in order. It uses no recursion: a chain of spawns may be deep.
func walkTree(gs []Greenlet, visit func(g *Greenlet, depth int)) {
	maxID := -1
	for i := range gs {
		maxID = max(maxID, gs[i].ID)
	}
	arr := treePool.Get().(*[]int32)
	defer treePool.Put(arr)
	*arr = sized(*arr, maxID+1+3*len(gs))
	pos := (*arr)[:maxID+1] // id → index+1
	for i := range gs {
		pos[gs[i].ID] = int32(i + 1)
	}
	rest := (*arr)[maxID+1:]
	first := rest[:len(gs)] // index+1 of the first child
	last := rest[len(gs) : 2*len(gs)]
	next := rest[2*len(gs):] // index+1 of the next sibling
	var roots []int32
	for i := range gs {
		p := gs[i].Parent
		if p < 0 || p > maxID || pos[p] == 0 || int(pos[p]-1) == i {
			roots = append(roots, int32(i))
			continue
		}
		pi := pos[p] - 1
		if last[pi] == 0 {
			first[pi] = int32(i + 1)
		} else {
			next[last[pi]-1] = int32(i + 1)
		}
		last[pi] = int32(i + 1)
	}
	type item struct {
		i     int32
		depth int
	}
	var stack []item
	for k := len(roots) - 1; k >= 0; k-- {
		stack = append(stack, item{roots[k], 0})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		visit(&gs[it.i], it.depth)
		// Push the children in reverse, so that the first pops first.
		n := len(stack)
		for c := first[it.i]; c != 0; c = next[c-1] {
			stack = append(stack, item{c - 1, it.depth + 1})
		}
		for l, r := n, len(stack)-1; l < r; l, r = l+1, r-1 {
			stack[l], stack[r] = stack[r], stack[l]
		}
	}
}

// WriteJSON writes the snapshot as JSON: the Snapshot type with the names of
// its json tags (encoding/json decodes it back into a Snapshot).
func (s *Snapshot) WriteJSON(w io.Writer) error {
	mustWriter(w, "Snapshot.WriteJSON")
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		writerPool.Put(bw)
	}()
	b := make([]byte, 0, 1024)
	b = append(b, `{"taken":"`...)
	b = s.Taken.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","hubs":[`...)
	for i := range s.Hubs {
		h := &s.Hubs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendUint(b, h.ID, 10)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, h.Name)
		b = append(b, `,"phase":`...)
		b = appendJSONString(b, h.Phase)
		b = append(b, `,"clock_ns":`...)
		b = strconv.AppendInt(b, int64(h.Clock), 10)
		b = append(b, `,"runq":`...)
		b = strconv.AppendInt(b, int64(h.RunQueue), 10)
		b = append(b, `,"timers":`...)
		b = strconv.AppendInt(b, int64(h.Timers), 10)
		b = append(b, `,"pause_ns":`...)
		b = strconv.AppendInt(b, int64(h.Pause), 10)
		b = append(b, `,"responded":`...)
		b = strconv.AppendBool(b, h.Responded)
		if h.Holder != "" {
			b = append(b, `,"holder":`...)
			b = appendJSONString(b, h.Holder)
		}
		b = append(b, `,"greenlets":[`...)
		for j := range h.Greenlets {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendGreenletJSON(b, &h.Greenlets[j])
			if len(b) > renderBuffer/2 {
				bw.Write(b)
				b = b[:0]
			}
		}
		b = append(b, "]}"...)
	}
	b = append(b, "]}\n"...)
	bw.Write(b)
	return bw.Flush()
}

func appendGreenletJSON(b []byte, g *Greenlet) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(g.ID), 10)
	b = append(b, `,"parent":`...)
	b = strconv.AppendInt(b, int64(g.Parent), 10)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, g.Name)
	if g.Func != "" {
		b = append(b, `,"func":`...)
		b = appendJSONString(b, g.Func)
	}
	b = append(b, `,"state":`...)
	b = appendJSONString(b, g.State)
	if w := g.Wait; w != nil {
		b = append(b, `,"wait":{"kind":`...)
		b = appendJSONString(b, w.Kind)
		if w.Object != "" {
			b = append(b, `,"object":`...)
			b = appendJSONString(b, w.Object)
		}
		if w.ObjectID != 0 {
			b = append(b, `,"object_id":`...)
			b = strconv.AppendInt(b, int64(w.ObjectID), 10)
		}
		b = append(b, `,"waiting_ns":`...)
		b = strconv.AppendInt(b, int64(w.Waiting), 10)
		if w.Deadline != 0 {
			b = append(b, `,"deadline_in_ns":`...)
			b = strconv.AppendInt(b, int64(w.Deadline), 10)
		}
		if len(w.Wakers) > 0 {
			b = append(b, `,"wakers":[`...)
			for k, id := range w.Wakers {
				if k > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendInt(b, int64(id), 10)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if g.SpawnSite != "" {
		b = append(b, `,"spawned_at":`...)
		b = appendJSONString(b, g.SpawnSite)
	}
	if len(g.SpawnStack) > 0 {
		b = append(b, `,"spawn_stack":[`...)
		for k, f := range g.SpawnStack {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"function":`...)
			b = appendJSONString(b, f.Function)
			b = append(b, `,"file":`...)
			b = appendJSONString(b, f.File)
			b = append(b, `,"line":`...)
			b = strconv.AppendInt(b, int64(f.Line), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
