// Command fetch downloads a list of URLs concurrently, gevent's best-known
// program: a pool.Pool of 4 greenlets, each request with its own timeout,
// through socket.HTTPClient, whose requests and body reads park only the
// calling greenlet while the hub runs the others. Some pages are slower
// than the timeout. It prints each result and a summary, and exits.
//
// So that it runs anywhere, CI included, without a network, the URLs are
// served by a local server on 127.0.0.1:0: net/http with its handlers
// running as greenlets on every hub of the group (server.ServeHTTP given
// gevent.Spread's context), while the fetchers all run on main's hub and so
// share their counters without locks.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/pool"
	"github.com/gevent-go/gevent/server"
	"github.com/gevent-go/gevent/socket"
)

const (
	poolSize = 4
	timeout  = 100 * time.Millisecond
)

type result struct {
	url  string
	body string
	err  error
}

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run serves the pages, fetches them and writes the report to out.
func run(out io.Writer) error {
	// A group of one hub per core: main and the fetchers run on hub 0; the
	// web server's handlers run on every hub.
	return gevent.RunGroup(context.Background(), 0, func(ctx context.Context) error {
		base, err := serve(ctx)
		if err != nil {
			return err
		}
		var urls []string
		for i := range 12 {
			kind := "fast"
			if i%4 == 3 {
				kind = "slow"
			}
			urls = append(urls, fmt.Sprintf("%s/%s/%d", base, kind, i))
		}

		client := socket.HTTPClient(ctx)
		defer client.CloseIdleConnections()
		p := pool.NewPool(poolSize)
		results := make([]result, len(urls))
		running, maxRunning := 0, 0 // shared by the fetchers without locks: one hub
		start := time.Now()
		for i, u := range urls {
			// Spawn parks main while the pool is full.
			if _, err := p.Spawn(ctx, func(ctx context.Context) error {
				running++
				maxRunning = max(maxRunning, running)
				defer func() { running-- }()
				results[i] = fetch(ctx, client, u)
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
			path := r.url[len(base):]
			switch {
			case r.err == nil:
				ok++
				fmt.Fprintf(out, "  ok       %-8s %q\n", path, r.body)
			case errors.Is(r.err, context.DeadlineExceeded):
				timedOut++
				fmt.Fprintf(out, "  timeout  %-8s after %v\n", path, timeout)
			default:
				fmt.Fprintf(out, "  error    %-8s %v\n", path, r.err)
			}
		}
		fmt.Fprintf(out, "fetch: %d URLs, %d ok, %d timed out, at most %d at once (pool of %d), in %v\n",
			len(urls), ok, timedOut, maxRunning, poolSize, elapsed.Round(time.Millisecond))
		if ok+timedOut != len(urls) {
			return errors.New("fetch: unexpected errors")
		}
		return nil
	})
}

// serve starts the local web server in a greenlet that ends with the group,
// and returns its base URL. Its handlers run on every hub of the group.
func serve(ctx context.Context) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
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
	gevent.Spawn(ctx, func(ctx context.Context) (error, error) {
		return server.ServeHTTP(gevent.Spread(ctx), l, mux), nil // until RunGroup kills it
	})
	return "http://" + l.Addr().String(), nil
}

// fetch downloads url with a per-request timeout on the hub's clock. The
// request and the body read park only this greenlet; when the timeout
// expires, Do (or a Read) returns it and the request is aborted.
func fetch(ctx context.Context, client *http.Client, url string) result {
	tctx, cancel := gevent.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(tctx, "GET", url, nil)
	if err != nil {
		return result{url: url, err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return result{url: url, err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return result{url: url, err: errors.New(resp.Status)}
	}
	b, err := io.ReadAll(resp.Body)
	return result{url: url, body: string(b), err: err}
}
