package core

// InHubCallback reports whether the calling goroutine is a serving hub's
// own, running a callback (a link callback, a timer or posted function, the
// error handler): a call that waits there freezes the hub. For calls that
// take no context (package socket's net.Conn methods) and find that their
// hub runs no greenlet. It reads the goroutine's id while some hub runs a
// callback: for paths about to block anyway.
func InHubCallback() bool { return onLoopMisuse() != "" }
