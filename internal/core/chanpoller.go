package core

// The default poller: a wake-up channel and one reusable runtime timer.

import (
	"time"
)

// chanPoller is the default poller: a wake-up channel and one reusable
// runtime timer.
type chanPoller struct {
	wake chan struct{}
	t    *time.Timer
}

func newChanPoller() *chanPoller {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &chanPoller{wake: make(chan struct{}, 1), t: t}
}

func (p *chanPoller) Poll(timeout time.Duration) bool {
	switch {
	case timeout == 0:
		select {
		case <-p.wake:
		default:
		}
	case timeout < 0:
		<-p.wake
	default:
		p.t.Reset(timeout)
		select {
		case <-p.wake:
			p.t.Stop()
		case <-p.t.C:
		}
	}
	return false
}

func (p *chanPoller) Wakeup() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *chanPoller) Busy() bool { return false }

func (p *chanPoller) Close() { p.t.Stop() }
