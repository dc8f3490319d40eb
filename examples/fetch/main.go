// Command fetch starts a local HTTP server (net/http on 127.0.0.1:0, its
// handlers running as greenlets through server.ServeHTTP) and downloads a
// list of its URLs concurrently with a pool.Pool of 4, each request with
// its own timeout. Some URLs are deliberately slower than the timeout. It
// prints each result and a summary, and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/pool"
	"github.com/gevent-go/gevent/server"
)

const (
	poolSize = 4
	timeout  = 100 * time.Millisecond
)

type result struct {
	url     string
	body    string
	err     error
	elapsed time.Duration
}

func main() {
	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/fast/{n}", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "fast page %s", r.PathValue("n"))
		})
		mux.HandleFunc("/slow/{n}", func(w http.ResponseWriter, r *http.Request) {
			// A cooperative sleep: the other requests go on meanwhile; the
			// handler is killed if the client gives up.
			if err := gevent.Sleep(r.Context(), time.Second); err != nil {
				return
			}
			fmt.Fprintf(w, "slow page %s", r.PathValue("n"))
		})
		web := gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
			return server.ServeHTTP(ctx, l, mux), nil
		})
		defer web.Kill(ctx)
		base := "http://" + l.Addr().String()

		var urls []string
		for i := range 12 {
			kind := "fast"
			if i%4 == 3 {
				kind = "slow"
			}
			urls = append(urls, fmt.Sprintf("%s/%s/%d", base, kind, i))
		}

		p := pool.NewPool(poolSize)
		results := make([]result, len(urls))
		running, maxRunning := 0, 0 // shared by the fetchers without locks
		start := time.Now()
		for i, u := range urls {
			// Spawn parks main while the pool is full.
			if _, err := p.Spawn(ctx, func(ctx context.Context) error {
				running++
				maxRunning = max(maxRunning, running)
				defer func() { running-- }()
				results[i] = fetch(ctx, u)
				return nil
			}); err != nil {
				return err
			}
		}
		if err := p.Join(ctx); err != nil {
			return err
		}
		elapsed := time.Since(start)

		ok, timedOut := 0, 0
		for _, r := range results {
			switch {
			case r.err == nil:
				ok++
				fmt.Printf("  ok       %-8s %q\n", r.url[len(base):], r.body)
			case errors.Is(r.err, context.DeadlineExceeded):
				timedOut++
				fmt.Printf("  timeout  %-8s after %v\n", r.url[len(base):], timeout)
			default:
				fmt.Printf("  error    %-8s %v\n", r.url[len(base):], r.err)
			}
		}
		fmt.Printf("fetch: %d URLs, %d ok, %d timed out, at most %d at once (pool of %d), in %v\n",
			len(urls), ok, timedOut, maxRunning, poolSize, elapsed.Round(time.Millisecond))
		if ok+timedOut != len(urls) {
			return errors.New("fetch: unexpected errors")
		}
		http.DefaultClient.CloseIdleConnections()
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
}

// fetch downloads url with a per-request timeout. net/http's client blocks
// its goroutine, so it runs off the hub with gevent.Blocking while this
// greenlet parks; the timeout (on the hub's clock) cancels the request.
func fetch(ctx context.Context, url string) result {
	start := time.Now()
	tctx, cancel := gevent.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := gevent.Blocking(tctx, func(ctx context.Context) (string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	})
	return result{url: url, body: body, err: err, elapsed: time.Since(start)}
}
