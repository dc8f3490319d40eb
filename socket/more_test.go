package socket_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
	"github.com/gevent-go/gevent/socket"
)

// TestThousandConnections serves 1,000 concurrent request/response
// connections on one hub while a ticker greenlet keeps running.
func TestThousandConnections(t *testing.T) {
	const conns, rounds = 1000, 3
	geventtest.Run(t, func(ctx context.Context) error {
		ln := echoServer(ctx, t)
		defer ln.Close()
		stop := make(chan struct{})
		ticks := 0
		ticker := gevent.Go(ctx, func(ctx context.Context) error {
			for {
				select {
				case <-stop:
					return nil
				default:
				}
				ticks++
				if err := gevent.Yield(ctx); err != nil {
					return err
				}
			}
		})
		clients := make([]gevent.Task, conns)
		for i := range clients {
			clients[i] = gevent.Go(ctx, func(ctx context.Context) error {
				c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
				if err != nil {
					return err
				}
				defer c.Close()
				r := bufio.NewReader(c)
				for j := range rounds {
					msg := fmt.Sprintf("client %d round %d\n", i, j)
					if _, err := io.WriteString(c, msg); err != nil {
						return err
					}
					got, err := r.ReadString('\n')
					if err != nil {
						return err
					}
					if got != msg {
						return fmt.Errorf("echo = %q, want %q", got, msg)
					}
				}
				return nil
			})
		}
		if _, err := gevent.JoinAll(ctx, clients, gevent.RaiseError()); err != nil {
			return err
		}
		close(stop)
		if _, err := ticker.Get(ctx); err != nil {
			return err
		}
		if ticks < rounds {
			t.Errorf("ticker ran %d times while 1,000 connections were served; want it to keep running", ticks)
		}
		return nil
	})
}

func TestCloseWakesBlockedRead(t *testing.T) {
	for _, from := range []string{"greenlet", "goroutine"} {
		t.Run(from, func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				ln := echoServer(ctx, t)
				defer ln.Close()
				c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
				if err != nil {
					return err
				}
				reader := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
					return c.Read(make([]byte, 8))
				})
				gevent.Yield(ctx) // let it park
				if reader.Ready() {
					t.Fatal("Read returned before Close")
				}
				closeFrom(ctx, t, from, c)
				_, err = reader.Get(ctx)
				if !errors.Is(err, net.ErrClosed) {
					t.Fatalf("Read after Close: err = %v, want net.ErrClosed", err)
				}
				return nil
			})
		})
	}
}

func TestCloseWakesBlockedAccept(t *testing.T) {
	for _, from := range []string{"greenlet", "goroutine"} {
		t.Run(from, func(t *testing.T) {
			geventtest.Run(t, func(ctx context.Context) error {
				ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
				if err != nil {
					return err
				}
				acceptor := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) {
					return ln.Accept()
				})
				gevent.Yield(ctx)
				closeFrom(ctx, t, from, ln)
				_, err = acceptor.Get(ctx)
				if !errors.Is(err, net.ErrClosed) {
					t.Fatalf("Accept after Close: err = %v, want net.ErrClosed", err)
				}
				return nil
			})
		})
	}
}

// closeFrom closes c from another greenlet or from a plain goroutine.
func closeFrom(ctx context.Context, t *testing.T, from string, c io.Closer) {
	t.Helper()
	if from == "greenlet" {
		gevent.Go(ctx, func(ctx context.Context) error { return c.Close() })
		return
	}
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	// Park (not block) until the goroutine is done: Blocking lets the hub
	// run the woken greenlet meanwhile.
	if _, err := gevent.Blocking(ctx, func(context.Context) (error, error) { return <-done, nil }); err != nil {
		t.Fatal(err)
	}
}

func TestKillBlockedAcceptAndDial(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		acceptor := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return ln.Accept() })
		gevent.Yield(ctx)
		acceptor.Kill(ctx)
		if _, err := acceptor.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
			t.Fatalf("killed Accept: err = %v, want ErrGreenletExit", err)
		}
		// A timeout ends a dial with its own cause.
		tctx, cancel := gevent.WithTimeout(ctx, 0)
		defer cancel()
		if _, err := socket.Dial(tctx, "tcp", ln.Addr().String()); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial with an expired timeout: err = %v, want a timeout", err)
		}
		// The listener still accepts afterwards.
		go func() {
			if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
				c.Close()
			}
		}()
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		return c.Close()
	})
}

func TestCopyAndJSON(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		ln := echoServer(ctx, t)
		defer ln.Close()
		c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		payload := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB: fills the socket buffers
		writer := gevent.Spawn(ctx, func(ctx context.Context) (int64, error) {
			n, err := io.Copy(c, bytes.NewReader(payload))
			if err == nil {
				err = c.(*socket.Conn).CloseWrite()
			}
			return n, err
		})
		var got bytes.Buffer
		if _, err := io.Copy(&got, c); err != nil {
			return err
		}
		if _, err := writer.Get(ctx); err != nil {
			return err
		}
		if !bytes.Equal(got.Bytes(), payload) {
			t.Fatalf("echoed %d bytes, want the %d sent", got.Len(), len(payload))
		}

		c2, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c2.Close()
		type msg struct{ A, B int }
		if err := json.NewEncoder(c2).Encode(msg{1, 2}); err != nil {
			return err
		}
		var m msg
		if err := json.NewDecoder(c2).Decode(&m); err != nil || m != (msg{1, 2}) {
			t.Fatalf("json round trip = %+v, %v", m, err)
		}
		return nil
	})
}

func TestTLSHandshake(t *testing.T) {
	cert := selfSigned(t)
	geventtest.Run(t, func(ctx context.Context) error {
		ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		tln := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
		server := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			c, err := tln.Accept()
			if err != nil {
				return "", err
			}
			defer c.Close()
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				return "", err
			}
			_, err = io.WriteString(c, "re: "+line)
			return line, err
		})
		raw, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AddCert(cert.Leaf)
		c := tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		defer c.Close()
		if err := c.HandshakeContext(ctx); err != nil {
			return err
		}
		if _, err := io.WriteString(c, "hello\n"); err != nil {
			return err
		}
		reply, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		if reply != "re: hello\n" {
			t.Fatalf("reply = %q", reply)
		}
		_, err = server.Get(ctx)
		return err
	})
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestBadInput(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		// A port nobody listens on: take one and close it.
		probe, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := probe.Addr().String()
		probe.Close()
		_, err = socket.Dial(ctx, "tcp", addr)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Dial(closed port) err = %v, want ECONNREFUSED", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "dial" {
			t.Errorf("Dial(closed port) err = %#v, want a *net.OpError for dial", err)
		}

		ln := echoServer(ctx, t)
		defer ln.Close()
		c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		c.Close()
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after Close: err = %v, want net.ErrClosed", err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read after Close: err = %v, want net.ErrClosed", err)
		}
		if err := c.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: err = %v, want net.ErrClosed", err)
		}

		// A half-closed peer gives io.EOF after its data.
		a, b, err := pair(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		defer b.Close()
		io.WriteString(a, "bye")
		a.(*socket.Conn).CloseWrite()
		got, err := io.ReadAll(b)
		if err != nil || string(got) != "bye" {
			t.Errorf("ReadAll(half-closed) = %q, %v; want bye, nil", got, err)
		}
		if n, err := b.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("Read at EOF = %d, %v; want 0, io.EOF (unwrapped)", n, err)
		}
		// The other direction still works.
		if _, err := io.WriteString(b, "ok"); err != nil {
			return err
		}
		buf := make([]byte, 2)
		if _, err := io.ReadFull(a, buf); err != nil || string(buf) != "ok" {
			t.Errorf("reverse direction = %q, %v", buf, err)
		}
		return nil
	})
}

// pair returns two connected cooperative TCP conns.
func pair(ctx context.Context) (net.Conn, net.Conn, error) {
	ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	acc := gevent.Spawn(ctx, func(ctx context.Context) (net.Conn, error) { return ln.Accept() })
	a, err := socket.Dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	b, err := acc.Get(ctx)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, b, nil
}

func TestUDP(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		srv, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer srv.Close()
		server := gevent.Go(ctx, func(ctx context.Context) error {
			buf := make([]byte, 1500)
			for range 3 {
				n, from, err := srv.ReadFrom(buf)
				if err != nil {
					return err
				}
				if _, err := srv.WriteTo(bytes.ToUpper(buf[:n]), from); err != nil {
					return err
				}
			}
			return nil
		})
		// An unconnected client with ReadFrom/WriteTo.
		cl, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer cl.Close()
		buf := make([]byte, 1500)
		for _, m := range []string{"one", "two"} {
			if _, err := cl.WriteTo([]byte(m), srv.LocalAddr()); err != nil {
				return err
			}
			n, from, err := cl.ReadFrom(buf)
			if err != nil {
				return err
			}
			if string(buf[:n]) != string(bytes.ToUpper([]byte(m))) || from.String() != srv.LocalAddr().String() {
				t.Errorf("ReadFrom = %q from %v", buf[:n], from)
			}
		}
		// A connected client with Read/Write.
		dc, err := socket.Dial(ctx, "udp", srv.LocalAddr().String())
		if err != nil {
			return err
		}
		defer dc.Close()
		if _, err := dc.Write([]byte("three")); err != nil {
			return err
		}
		n, err := dc.Read(buf)
		if err != nil || string(buf[:n]) != "THREE" {
			t.Errorf("connected UDP Read = %q, %v", buf[:n], err)
		}
		_, err = server.Get(ctx)
		// A read deadline on a datagram socket.
		cl.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if _, _, err := cl.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("ReadFrom past deadline: err = %v", err)
		}
		return err
	})
}

func TestUnix(t *testing.T) {
	dir := t.TempDir()
	geventtest.Run(t, func(ctx context.Context) error {
		path := filepath.Join(dir, "s")
		ln, err := socket.Listen(ctx, "unix", path)
		if err != nil {
			return err
		}
		defer ln.Close()
		gevent.Go(ctx, func(ctx context.Context) error {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = io.Copy(c, c)
			return err
		})
		c, err := socket.Dial(ctx, "unix", path)
		if err != nil {
			return err
		}
		defer c.Close()
		io.WriteString(c, "unix!")
		c.(*socket.Conn).CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "unix!" {
			t.Errorf("unix echo = %q, %v", got, err)
		}

		// Datagrams.
		gpath := filepath.Join(dir, "g")
		g, err := socket.ListenPacket(ctx, "unixgram", gpath)
		if err != nil {
			return err
		}
		defer g.Close()
		sender, err := socket.ListenPacket(ctx, "unixgram", filepath.Join(dir, "g2"))
		if err != nil {
			return err
		}
		defer sender.Close()
		reader := gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
			buf := make([]byte, 64)
			n, from, err := g.ReadFrom(buf)
			if err != nil {
				return "", err
			}
			return string(buf[:n]) + " from " + from.String(), nil
		})
		gevent.Yield(ctx)
		if _, err := sender.WriteTo([]byte("dgram"), g.LocalAddr()); err != nil {
			return err
		}
		got2, err := reader.Get(ctx)
		if want := "dgram from " + sender.LocalAddr().String(); err != nil || got2 != want {
			t.Errorf("unixgram = %q, %v; want %q", got2, err, want)
		}
		return nil
	})
}

// TestPlainGoroutine: without a hub the functions are the standard
// library's.
func TestPlainGoroutine(t *testing.T) {
	ctx := context.Background()
	ln, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, ok := ln.(*net.TCPListener); !ok {
		t.Errorf("Listen without a hub = %T, want *net.TCPListener", ln)
	}
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(c, c)
		done <- err
	}()
	c, err := socket.Dial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*net.TCPConn); !ok {
		t.Errorf("Dial without a hub = %T, want *net.TCPConn", c)
	}
	if w := socket.WrapConn(ctx, c); w != c {
		t.Errorf("WrapConn without a hub changed the conn")
	}
	io.WriteString(c, "std")
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	c.Close()
	if err != nil || string(got) != "std" {
		t.Errorf("echo = %q, %v", got, err)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// TestWrapPipe: a conn without a file descriptor is served off the hub;
// kill and deadlines still work and no data is lost.
func TestWrapPipe(t *testing.T) {
	geventtest.Run(t, func(ctx context.Context) error {
		a, b := net.Pipe()
		ca := socket.WrapConn(ctx, a)
		cb := socket.WrapConn(ctx, b)
		defer ca.Close()
		defer cb.Close()
		reader := gevent.Spawn(ctx, func(ctx context.Context) (int, error) {
			return cb.Read(make([]byte, 4))
		})
		gevent.Yield(ctx)
		reader.Kill(ctx)
		if _, err := reader.Get(ctx); !errors.Is(err, gevent.ErrGreenletExit) {
			t.Errorf("killed pipe Read: err = %v", err)
		}
		w := gevent.Spawn(ctx, func(ctx context.Context) (int, error) { return ca.Write([]byte("pipe")) })
		buf := make([]byte, 4)
		if _, err := io.ReadFull(cb, buf); err != nil || string(buf) != "pipe" {
			t.Errorf("pipe read after kill = %q, %v", buf, err)
		}
		if _, err := w.Get(ctx); err != nil {
			return err
		}
		cb.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
		if _, err := cb.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("pipe read past deadline: err = %v", err)
		}
		return nil
	})
}
