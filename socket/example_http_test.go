package socket_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/socket"
)

// Three pages downloaded at once by three greenlets through one client:
// each request, and each body read, parks only its own greenlet. The server
// answers /slow only after it has served the two others, so this completes
// only because the requests are in flight together (a plain http.Get would
// block the whole hub in the first request). A per-request timeout is a
// gevent.WithTimeout context on the request.
func ExampleHTTPClient() {
	var others sync.WaitGroup
	others.Add(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			others.Wait() // (the server's own goroutine)
		} else {
			defer others.Done()
		}
		fmt.Fprintf(w, "page %s", r.URL.Path)
	}))
	defer srv.Close()

	err := gevent.Run(context.Background(), func(ctx context.Context) error {
		client := socket.HTTPClient(ctx)
		get := func(ctx context.Context, path string) (string, error) {
			ctx, cancel := gevent.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
			if err != nil {
				return "", err
			}
			resp, err := client.Do(req) // or client.Get(url): the same, without a timeout
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			return string(b), err
		}
		var pages []*gevent.Greenlet[string]
		for _, path := range []string{"/slow", "/a", "/b"} {
			pages = append(pages, gevent.Spawn(ctx, func(ctx context.Context) (string, error) {
				return get(ctx, path)
			}))
		}
		for _, g := range pages {
			page, err := g.Get(ctx)
			if err != nil {
				return err
			}
			fmt.Println(page)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// page /slow
	// page /a
	// page /b
}
