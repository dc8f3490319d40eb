//go:build !linux

package poll

import "github.com/gevent-go/gevent/internal/core"

// Poller is not implemented on this system.
type Poller struct{}

// For returns nil: without epoll, package socket runs operations off the hub.
func For(h *core.Hub) *Poller { return nil }
