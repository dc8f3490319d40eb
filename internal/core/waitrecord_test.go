package core

import (
	"context"
	"testing"
	"time"
	"unsafe"
)

// testKind is a wait kind whose describer reports the object's text.
var testKind = RegisterWaitKind("test.object", func(obj unsafe.Pointer) WaitDetail {
	return WaitDetail{Object: *(*string)(obj)}
})

// TestWaitRecord: a parked greenlet's record has the kind and object its
// PrepareOn gave and the time since the park on the loop clock; a sleep's
// has its deadline; the object is dropped when the wait ends.
func TestWaitRecord(t *testing.T) {
	h := NewHub(context.Background(), Options{})
	obj := "the object"
	var l WaitList
	var cleared, sleptOK bool
	var waiter, sleeper *G
	main := new(G)
	main.Init(h, context.Background(), runFunc(func(g *G) error {
		waiter = spawnG(h, g, func(g *G) error {
			w, err := PrepareOn(g, testKind, unsafe.Pointer(&obj))
			if err != nil {
				return err
			}
			l.PushBack(w)
			err = w.Block(g)
			cleared = *w.objSlot() == nil
			return err
		})
		sleeper = spawnG(h, g, func(g *G) error { return h.Sleep(g, g, time.Hour) })
		if err := h.Sleep(g, g, 30*time.Millisecond); err != nil {
			return err
		}
		now := h.loopNow()
		r, ok := waiter.waitRecord(now)
		if !ok || r.Kind != testKind || r.Obj != unsafe.Pointer(&obj) {
			t.Errorf("record %+v (ok %v), want kind test.object on &obj", r, ok)
		}
		if d := r.Kind.Describe(r.Obj); d.Object != "the object" || r.Kind.String() != "test.object" {
			t.Errorf("described as %q, kind %q", d.Object, r.Kind)
		}
		if r.For < int64(25*time.Millisecond) || r.For > int64(time.Second) {
			t.Errorf("waited %v, want about 30ms", time.Duration(r.For))
		}
		s, ok := sleeper.waitRecord(now)
		sleptOK = ok && s.Kind == WaitSleep && s.Obj == nil && s.Deadline > int64(59*time.Minute)
		if !sleptOK {
			t.Errorf("sleep record %+v (ok %v)", s, ok)
		}
		if _, ok := g.waitRecord(now); ok {
			t.Error("the running greenlet has a wait record")
		}
		l.WakeOne()
		sleeper.Kill(ErrGreenletExit)
		return waiter.Join(g)
	}))
	done := make(chan struct{})
	tm := time.AfterFunc(5*time.Second, func() { panic("TestWaitRecord hung") })
	defer tm.Stop()
	main.Start()
	go func() { h.Serve(context.Background(), main); close(done) }()
	<-done
	if err := main.Result(); err != nil {
		t.Fatal(err)
	}
	if !cleared {
		t.Error("the object stayed in the record after the wait ended")
	}
}
