package socket

import "errors"

var (
	errUnsupported    = errors.New("gevent/socket: operation not supported by the wrapped connection")
	errMissingAddress = errors.New("gevent/socket: missing address")
	errNoPoller       = errors.New("gevent/socket: cannot create the hub's I/O poller")
)
