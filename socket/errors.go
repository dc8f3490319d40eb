package socket

import "errors"

var (
	errUnsupported    = errors.New("socket: operation not supported by the wrapped connection")
	errMissingAddress = errors.New("missing address")
	errNoPoller       = errors.New("socket: cannot create the hub's I/O poller")
)
