//go:build linux

package socket

import (
	"context"
	"net"

	"github.com/gevent-go/gevent/internal/core"
)

// dialFast connects without leaving the hub when it can; ok false means the
// caller should dial off the hub.
func dialFast(ctx context.Context, h *core.Hub, g *core.G, network, address string) (c net.Conn, err error, ok bool) {
	return nil, nil, false
}
