// Package gohook lets package pool make the greenlet of gevent.Go without
// starting it (a pool admits a member before it starts), with no public
// gevent.NewGo: the root package sets NewGo when it initialises.
package gohook

import "context"

// NewGo returns an unstarted *gevent.Greenlet[struct{}] running fn on ctx's
// hub, configured by opts (a []gevent.SpawnOption). The caller has checked
// that ctx and fn are not nil and that ctx carries a hub. Its failure
// reports name fn itself, not an adapter around it.
var NewGo func(ctx context.Context, fn func(context.Context) error, opts any) any
