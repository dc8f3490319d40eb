// Package socket provides cooperative network I/O (gevent.socket): Dial,
// Listen and ListenPacket return standard net.Conn, net.Listener and
// net.PacketConn values whose blocking calls park only the calling greenlet
// while its hub keeps serving every other greenlet and connection.
package socket
