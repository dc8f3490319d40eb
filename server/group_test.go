package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/event"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

// runGroup runs body as RunGroup's main over n hubs under a deadline (a
// hang fails the test) and fails the test on its error.
func runGroup(t *testing.T, n int, body func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- gevent.RunGroup(ctx, n, body, gevent.WithErrorHandler(func(task gevent.Task, err error) {
			t.Errorf("greenlet %v failed: %v", task, err)
		}))
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunGroup: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("RunGroup still running (hung)")
	}
}

// offHub runs f on a goroutine while the calling greenlet parks.
func offHub(ctx context.Context, f func() error) error {
	_, err := gevent.Blocking(ctx, func(context.Context) (struct{}, error) { return struct{}{}, f() })
	return err
}

// hubEcho is a handler that writes its hub's index, then echoes one line.
func hubEcho(ctx context.Context, c net.Conn) {
	if _, err := fmt.Fprintf(c, "%d\n", gevent.HubIndex(ctx)); err != nil {
		return
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	_, _ = io.WriteString(c, line)
}

// askHub dials addr with the standard library, reads the serving hub's
// index and checks the echo of one line.
func askHub(addr string) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	br := bufio.NewReader(c)
	s, err := br.ReadString('\n')
	if err != nil {
		return 0, err
	}
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return 0, err
	}
	if echo, err := br.ReadString('\n'); err != nil || echo != "ping\n" {
		return 0, fmt.Errorf("echo %q, %v", echo, err)
	}
	return i, nil
}

// askMany makes n connections, in parallel, and counts them per hub.
func askMany(addr string, n int) (map[int]int, error) {
	var mu sync.Mutex
	per := map[int]int{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i, err := askHub(addr)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			per[i]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	return per, <-errs
}

// ListenAndServe with a spreading context serves on every hub (one
// SO_REUSEPORT listener per hub on Linux, the kernel spreading the
// connections), and Close stops every hub's loop.
func TestStreamServerListensOnEveryHub(t *testing.T) {
	addrs := make(chan net.Addr, 1)
	defer server.SetListenEachHook(func(a net.Addr) { addrs <- a })()
	runGroup(t, 2, func(ctx context.Context) error {
		srv := &server.StreamServer{Addr: "127.0.0.1:0", Handler: hubEcho, ErrorLog: quiet}
		served := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return srv.ListenAndServe(gevent.Spread(ctx)), nil
		})
		var addr string
		if err := offHub(ctx, func() error {
			select {
			case a := <-addrs:
				addr = a.String()
				return nil
			case <-time.After(20 * time.Second):
				return errors.New("no per-hub listeners (SO_REUSEPORT) opened")
			}
		}); err != nil {
			srv.Close()
			return err
		}
		var per map[int]int
		err := offHub(ctx, func() (err error) { per, err = askMany(addr, 64); return })
		if err != nil {
			t.Errorf("clients: %v", err)
		}
		if len(per) < 2 {
			t.Errorf("64 connections were served by hubs %v, want both", per)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if v, err := served.Get(ctx); err != nil || !errors.Is(v, server.ErrServerClosed) {
			t.Errorf("ListenAndServe = %v, %v; want ErrServerClosed", v, err)
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Error("a connection was accepted after Close")
		}
		return nil
	})
	if runtime.GOOS != "linux" {
		t.Log("not Linux: the server handed connections off instead")
	}
}

// Serve with a listener the caller made and a spreading context accepts
// on ctx's hub and hands connections off to the group's hubs in turn.
func TestStreamServerHandsOff(t *testing.T) {
	runGroup(t, 3, func(ctx context.Context) error {
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &server.StreamServer{Handler: hubEcho, ErrorLog: quiet}
		served := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return srv.Serve(gevent.Spread(ctx), l), nil
		})
		var got []int
		err = offHub(ctx, func() error {
			for range 6 {
				i, err := askHub(l.Addr().String())
				if err != nil {
					return err
				}
				got = append(got, i)
			}
			return nil
		})
		if err != nil {
			t.Errorf("clients: %v", err)
		}
		per := map[int]int{}
		for _, i := range got {
			per[i]++
		}
		if len(per) != 3 || per[0] != 2 || per[1] != 2 || per[2] != 2 {
			t.Errorf("6 connections handed off to hubs %v (in order %v), want 2 on each of 3", per, got)
		}
		srv.Close()
		if v, err := served.Get(ctx); err != nil || !errors.Is(v, server.ErrServerClosed) {
			t.Errorf("Serve = %v, %v; want ErrServerClosed", v, err)
		}
		return nil
	})
}

// Shutdown across hubs: it stops every hub's listener, waits for the
// handlers of every hub (in-flight connections finish), and at its
// deadline kills those that do not.
func TestStreamServerShutdownAcrossHubs(t *testing.T) {
	for _, handOff := range []bool{false, true} {
		t.Run(fmt.Sprintf("handOff=%v", handOff), func(t *testing.T) {
			addrs := make(chan net.Addr, 1)
			defer server.SetListenEachHook(func(a net.Addr) { addrs <- a })()
			runGroup(t, 2, func(ctx context.Context) error {
				var release event.Event
				var mu sync.Mutex
				inFlight := map[int]int{}
				var stuck event.Event // a handler that ignores the shutdown
				srv := &server.StreamServer{Addr: "127.0.0.1:0", ErrorLog: quiet, Handler: func(ctx context.Context, c net.Conn) {
					mu.Lock()
					inFlight[gevent.HubIndex(ctx)]++
					mu.Unlock()
					if _, err := io.WriteString(c, "hello\n"); err != nil {
						return
					}
					if err := release.Wait(ctx); err != nil {
						return
					}
					if stuck.IsSet() {
						_ = gevent.Sleep(ctx, time.Hour) // killed at Shutdown's deadline
						return
					}
					_, _ = io.WriteString(c, "bye\n")
				}}
				var addr string
				var served *gevent.Greenlet[error]
				if handOff {
					l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
					if err != nil {
						return err
					}
					addr = l.Addr().String()
					served = gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(gevent.Spread(ctx), l), nil })
				} else {
					served = gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.ListenAndServe(gevent.Spread(ctx)), nil })
					if err := offHub(ctx, func() error { addr = (<-addrs).String(); return nil }); err != nil {
						return err
					}
				}
				// Open connections until both hubs have one in flight.
				var conns []*bufio.Reader
				var raw []net.Conn
				defer func() {
					for _, c := range raw {
						c.Close()
					}
				}()
				for tries := 0; ; tries++ {
					mu.Lock()
					both := len(inFlight) == 2
					mu.Unlock()
					if both {
						break
					}
					if tries == 64 {
						return fmt.Errorf("64 connections all on hubs %v", inFlight)
					}
					err := offHub(ctx, func() error {
						c, err := net.Dial("tcp", addr)
						if err != nil {
							return err
						}
						raw = append(raw, c)
						br := bufio.NewReader(c)
						conns = append(conns, br)
						_, err = br.ReadString('\n') // hello: the handler runs
						return err
					})
					if err != nil {
						return err
					}
				}

				// Graceful: Shutdown waits; the handlers finish once released.
				shut := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
					return srv.Shutdown(ctx), nil
				})
				if err := gevent.Sleep(ctx, 20*time.Millisecond); err != nil {
					return err
				}
				if shut.Ready() {
					t.Error("Shutdown returned while handlers were in flight")
				}
				release.Set()
				if v, err := shut.Get(ctx); v != nil || err != nil {
					t.Errorf("Shutdown = %v, %v", v, err)
				}
				err := offHub(ctx, func() error {
					for _, br := range conns {
						if s, err := br.ReadString('\n'); s != "bye\n" {
							return fmt.Errorf("in-flight connection got %q, %v; want bye", s, err)
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
				if v, err := served.Get(ctx); err != nil || !errors.Is(v, server.ErrServerClosed) {
					t.Errorf("serve = %v, %v; want ErrServerClosed", v, err)
				}
				return nil
			})
		})
	}
}

// Shutdown's deadline kills the handlers of every hub.
func TestStreamServerShutdownDeadlineAcrossHubs(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		l, err := socket.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		var mu sync.Mutex
		var killed []int
		started := make(chan int, 4)
		srv := &server.StreamServer{ErrorLog: quiet, Handler: func(ctx context.Context, c net.Conn) {
			started <- gevent.HubIndex(ctx)
			err := gevent.Sleep(ctx, time.Hour)
			if errors.Is(err, gevent.ErrGreenletExit) {
				mu.Lock()
				killed = append(killed, gevent.HubIndex(ctx))
				mu.Unlock()
			}
		}}
		gevent.Go(ctx, func(ctx context.Context) error { _ = srv.Serve(gevent.Spread(ctx), l); return nil })
		var raw []net.Conn
		defer func() {
			for _, c := range raw {
				c.Close()
			}
		}()
		err = offHub(ctx, func() error {
			for range 4 {
				c, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					return err
				}
				raw = append(raw, c)
			}
			for range 4 {
				<-started
			}
			return nil
		})
		if err != nil {
			return err
		}
		sctx, cancel := gevent.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if err := srv.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown past its deadline = %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		per := map[int]int{}
		for _, i := range killed {
			per[i]++
		}
		if per[0] != 2 || per[1] != 2 {
			t.Errorf("killed handlers per hub %v, want 2 on each", per)
		}
		return nil
	})
}

// A DatagramServer over a group serves on every hub, replying through the
// socket of the handler's hub: per-hub sockets (ListenAndServe, Linux) and
// hand-off (Serve).
func TestDatagramServerEveryHub(t *testing.T) {
	handler := func(srv **server.DatagramServer) func(ctx context.Context, data []byte, addr net.Addr) {
		return func(ctx context.Context, data []byte, addr net.Addr) {
			_, _ = (*srv).WriteTo(ctx, []byte(strconv.Itoa(gevent.HubIndex(ctx))), addr)
		}
	}
	// ask sends one datagram from each of n sockets and counts the replies
	// per hub.
	ask := func(addr string, n int) (map[int]int, error) {
		per := map[int]int{}
		for range n {
			c, err := net.Dial("udp", addr)
			if err != nil {
				return nil, err
			}
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write([]byte("x")); err != nil {
				c.Close()
				return nil, err
			}
			b := make([]byte, 16)
			k, err := c.Read(b)
			c.Close()
			if err != nil {
				return nil, err
			}
			i, err := strconv.Atoi(string(b[:k]))
			if err != nil {
				return nil, err
			}
			per[i]++
		}
		return per, nil
	}
	t.Run("ListenAndServe", func(t *testing.T) {
		addrs := make(chan net.Addr, 1)
		defer server.SetListenEachHook(func(a net.Addr) { addrs <- a })()
		runGroup(t, 2, func(ctx context.Context) error {
			srv := &server.DatagramServer{Addr: "127.0.0.1:0", ErrorLog: quiet}
			srv.Handler = handler(&srv)
			served := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.ListenAndServe(gevent.Spread(ctx)), nil })
			var per map[int]int
			err := offHub(ctx, func() (err error) {
				select {
				case a := <-addrs:
					per, err = ask(a.String(), 32)
					return err
				case <-time.After(20 * time.Second):
					return errors.New("no per-hub sockets opened")
				}
			})
			if err != nil {
				srv.Close()
				return err
			}
			if len(per) < 2 {
				t.Errorf("32 senders were served by hubs %v, want both", per)
			}
			srv.Close()
			if v, err := served.Get(ctx); err != nil || !errors.Is(v, server.ErrServerClosed) {
				t.Errorf("ListenAndServe = %v, %v", v, err)
			}
			return nil
		})
	})
	t.Run("Serve", func(t *testing.T) {
		runGroup(t, 2, func(ctx context.Context) error {
			pc, err := socket.ListenPacket(ctx, "udp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			srv := &server.DatagramServer{ErrorLog: quiet}
			srv.Handler = handler(&srv)
			served := gevent.Spawn(ctx, func(ctx context.Context) (error, error) { return srv.Serve(gevent.Spread(ctx), pc), nil })
			var per map[int]int
			if err := offHub(ctx, func() (err error) { per, err = ask(pc.LocalAddr().String(), 6); return }); err != nil {
				srv.Close()
				return err
			}
			if per[0] != 3 || per[1] != 3 {
				t.Errorf("6 datagrams handed off to hubs %v, want 3 and 3", per)
			}
			srv.Close()
			if v, err := served.Get(ctx); err != nil || !errors.Is(v, server.ErrServerClosed) {
				t.Errorf("Serve = %v, %v", v, err)
			}
			return nil
		})
	})
}

// The HTTP adapter given a spreading context runs the requests' greenlets
// on the group's hubs in turn.
func TestHTTPHandlerEveryHub(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		var lc net.ListenConfig
		l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, gevent.HubIndex(r.Context()))
		})
		sctx, stop := context.WithCancel(gevent.Spread(ctx))
		served := gevent.Spawn(ctx, func(context.Context) (error, error) { return server.ServeHTTP(sctx, l, h), nil })
		per := map[string]int{}
		err = offHub(ctx, func() error {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr}
			for range 4 {
				resp, err := cl.Get("http://" + l.Addr().String())
				if err != nil {
					return err
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return err
				}
				per[string(b)]++
			}
			return nil
		})
		stop()
		if err != nil {
			return err
		}
		if per["0"] != 2 || per["1"] != 2 {
			t.Errorf("4 requests ran on hubs %v, want 2 and 2", per)
		}
		if _, err := served.Get(ctx); err != nil {
			t.Errorf("ServeHTTP's greenlet: %v", err)
		}
		return nil
	})
}

// http.Server.Shutdown with the adapter over a group: the requests in
// flight on every hub finish, then ServeHTTP returns.
func TestHTTPShutdownAcrossHubs(t *testing.T) {
	runGroup(t, 2, func(ctx context.Context) error {
		var lc net.ListenConfig
		l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		var release event.Event
		var mu sync.Mutex
		inFlight := map[int]int{}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			i := gevent.HubIndex(r.Context())
			mu.Lock()
			inFlight[i]++
			mu.Unlock()
			if err := release.Wait(r.Context()); err != nil {
				return
			}
			fmt.Fprint(w, i)
		})
		hsc := make(chan *http.Server, 1)
		served := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return server.ServeHTTP(gevent.Spread(ctx), l, h, func(hs *http.Server) { hsc <- hs }), nil
		})
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		cl := &http.Client{Transport: tr}
		type reply struct {
			body string
			err  error
		}
		replies := make(chan reply, 4)
		for range 4 {
			go func() {
				resp, err := cl.Get("http://" + l.Addr().String())
				if err != nil {
					replies <- reply{err: err}
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				replies <- reply{string(b), err}
			}()
		}
		// Wait, parked, until all four are in flight (two on each hub).
		for {
			mu.Lock()
			n := inFlight[0] + inFlight[1]
			mu.Unlock()
			if n == 4 {
				break
			}
			if err := gevent.Sleep(ctx, time.Millisecond); err != nil {
				return err
			}
		}
		if inFlight[0] != 2 || inFlight[1] != 2 {
			t.Errorf("requests in flight per hub %v, want 2 and 2", inFlight)
		}
		var hs *http.Server
		if err := offHub(ctx, func() error { hs = <-hsc; return nil }); err != nil {
			return err
		}
		shut := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return offHub(ctx, func() error { return hs.Shutdown(context.Background()) }), nil
		})
		if err := gevent.Sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		if shut.Ready() {
			t.Error("Shutdown returned with requests in flight")
		}
		release.Set()
		if v, err := shut.Get(ctx); v != nil || err != nil {
			t.Errorf("Shutdown = %v, %v", v, err)
		}
		per := map[string]int{}
		if err := offHub(ctx, func() error {
			for range 4 {
				r := <-replies
				if r.err != nil {
					return r.err
				}
				per[r.body]++
			}
			return nil
		}); err != nil {
			t.Errorf("a request in flight failed: %v", err)
		}
		if per["0"] != 2 || per["1"] != 2 {
			t.Errorf("replies per hub %v", per)
		}
		if v, err := served.Get(ctx); !errors.Is(v, http.ErrServerClosed) || err != nil {
			t.Errorf("ServeHTTP = %v, %v; want http.ErrServerClosed", v, err)
		}
		return nil
	})
}
