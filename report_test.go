package gevent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/gevent-go/gevent"
	"github.com/gevent-go/gevent/geventtest"
)

// captureLog sends the default logger's output (slog's default handler
// writes through package log) to a buffer until the test ends.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	log.SetFlags(0)
	t.Cleanup(func() {
		log.SetOutput(w)
		log.SetFlags(flags)
	})
	return &buf
}

// captureJSON makes slog's default logger a JSON handler writing to a buffer
// until the test ends.
func captureJSON(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := slog.Default()
	w, flags := log.Writer(), log.Flags()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() {
		slog.SetDefault(old)
		log.SetOutput(w) // SetDefault redirected package log too
		log.SetFlags(flags)
	})
	return &buf
}

var errReport = errors.New("report me")

func failA(context.Context) (int, error) { return 0, errReport }
func failB(context.Context) (int, error) { return 0, errReport }
func failC(context.Context) error        { return errReport }

// issue 9 E: three different greenlets that fail print distinct identities
// (they all printed "greenlet=Greenlet-0 id=0"): each report names the
// function, the id and a number never reused in the process; a named
// greenlet's report gives the name and the function.
func TestFailureReportsAreDistinct(t *testing.T) {
	buf := captureLog(t)
	geventtest.Run(t, func(ctx context.Context) error {
		for _, g := range []gevent.Task{
			gevent.Spawn(ctx, failA),
			gevent.Spawn(ctx, failB),
			gevent.Go(ctx, failC),
			gevent.Spawn(ctx, failA),
			gevent.Spawn(ctx, failA, gevent.WithName("worker")),
		} {
			if err := g.Join(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d report lines, want 5:\n%s", len(lines), buf)
	}
	wantName := []string{
		"greenlet=gevent_test.failA ", "greenlet=gevent_test.failB ", "greenlet=gevent_test.failC ",
		"greenlet=gevent_test.failA ", "greenlet=worker func=gevent_test.failA ",
	}
	uid := regexp.MustCompile(` id=\d+ uid=(\d+) `)
	seen := map[string]bool{}
	for i, l := range lines {
		if !strings.Contains(l, "ERROR gevent: greenlet failed ") || !strings.Contains(l, wantName[i]) ||
			!strings.Contains(l, "err=\"report me\"") {
			t.Errorf("report %d = %q, want it to name %q and the error", i, l, wantName[i])
		}
		m := uid.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("report %d = %q has no id and uid", i, l)
			continue
		}
		if seen[m[1]] {
			t.Errorf("uid %s reported twice", m[1])
		}
		seen[m[1]] = true
	}
}

// The id in a report is the one the greenlet had while it lived.
func TestFailureReportKeepsTheID(t *testing.T) {
	buf := captureLog(t)
	geventtest.Run(t, func(ctx context.Context) error {
		a := gevent.Spawn(ctx, sleeper)
		b := gevent.Spawn(ctx, failA)
		if a.ID() != 0 || b.ID() != 1 {
			t.Errorf("IDs = %d, %d; want 0, 1", a.ID(), b.ID())
		}
		b.Join(ctx)
		a.Kill(ctx)
		return nil
	})
	if !strings.Contains(buf.String(), " id=1 ") {
		t.Errorf("report %q, want id=1", buf)
	}
}

// A panic's stack is one attribute per frame, starting at the panicking
// function, not one string of escaped newlines.
func TestPanicReportStackIsFrames(t *testing.T) {
	buf := captureJSON(t)
	geventtest.Run(t, func(ctx context.Context) error {
		return gevent.Spawn(ctx, panickyBody).Join(ctx)
	})
	var rec struct {
		Msg      string
		Greenlet string
		Stack    map[string]string
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("report %q: %v", buf, err)
	}
	if rec.Msg != "gevent: greenlet failed" || rec.Greenlet != "gevent_test.panickyBody" {
		t.Errorf("report = %+v", rec)
	}
	if len(rec.Stack) == 0 || !strings.HasPrefix(rec.Stack["0"], "github.com/gevent-go/gevent_test.panickyBody(") {
		t.Fatalf("stack = %q, want frames starting at panickyBody", rec.Stack)
	}
	for k, f := range rec.Stack {
		if strings.Contains(f, "\n") || strings.Contains(f, "internal/core") || strings.Contains(f, "runtime/debug") {
			t.Errorf("stack frame %s = %q: one line of the user's code expected", k, f)
		}
	}
}

// Run returns main's error and does not also report it, so a cancelled
// Run context is not logged as an error either.
func TestRunMainErrorIsNotReported(t *testing.T) {
	buf := captureLog(t)
	var reports errorLog
	err := gevent.Run(context.Background(), func(context.Context) error { return errReport }, reports.option())
	if err != errReport {
		t.Errorf("Run = %v, want %v", err, errReport)
	}
	if err := gevent.Run(context.Background(), func(ctx context.Context) error { panic("main boom") }); err == nil {
		t.Error("Run of a panicking main = nil")
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = gevent.Run(ctx, func(ctx context.Context) error {
		cancel()
		return gevent.Sleep(ctx, 1<<62)
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled ctx = %v, want Canceled", err)
	}
	if reports.count() != 0 || buf.Len() != 0 {
		t.Errorf("main's failures were reported: handler %v, log %q", reports.errs, buf)
	}
}
