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
		var s HubSnapshot
		h.OnHub(g, time.Second, func() { h.Snapshot(&s) })
		info := map[int]*GInfo{}
		for i := range s.Greenlets {
			info[int(s.Greenlets[i].ID)] = &s.Greenlets[i]
		}
		r := info[waiter.ID()]
		if r == nil || r.State != GParked || r.Wait.Kind != testKind || r.Wait.Obj < 0 ||
			s.Objects[r.Wait.Obj].Addr != uintptr(unsafe.Pointer(&obj)) {
			t.Fatalf("waiter: %+v, want parked on &obj with kind test.object", r)
		}
		if o := s.Objects[r.Wait.Obj]; o.Object != "the object" || r.Wait.Kind.String() != "test.object" {
			t.Errorf("described as %q, kind %q", o.Object, r.Wait.Kind)
		}
		if r.Wait.For < 25*time.Millisecond || r.Wait.For > time.Second {
			t.Errorf("waited %v, want about 30ms", r.Wait.For)
		}
		sl := info[sleeper.ID()]
		sleptOK = sl != nil && sl.Wait.Kind == WaitSleep && sl.Wait.Obj == -1 && sl.Wait.Deadline > 59*time.Minute
		if !sleptOK {
			t.Errorf("sleep record %+v", sl)
		}
		if m := info[g.ID()]; m == nil || m.State != GRunning {
			t.Errorf("the running greenlet: %+v, want running", m)
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
