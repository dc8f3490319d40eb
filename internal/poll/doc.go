// Package poll is the per-hub I/O poller behind the cooperative sockets of
// package socket: an epoll instance that the hub waits in when it has nothing
// to run (it implements core.Poller), and Desc, the record of one file
// descriptor whose readers and writers park on it.
//
// The protocol (Linux): an operation does its non-blocking syscall itself;
// on EAGAIN it registers the descriptor (once, edge-triggered, read and write
// interest together) and parks the running greenlet on the Desc. When the
// hub polls, every ready descriptor wakes its parked readers or writers, in
// FIFO order through the hub's callback queue; they retry the syscall.
// Registration and parking happen on the hub goroutine, and so does Poll, so
// an edge cannot be lost between an EAGAIN and the park: Poll cannot run in
// between. Close and deadline changes may come from any goroutine; they wake
// the parked callers under the Desc's lock.
//
// On other systems For returns nil and package socket falls back to running
// operations off the hub.
package poll
