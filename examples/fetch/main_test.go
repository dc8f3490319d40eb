package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gevent-go/gevent/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// The example runs offline (its server is local) and reports every fast
// page fetched and every slow one timed out, never more than the pool's
// size at once.
func TestFetch(t *testing.T) {
	tm := time.AfterFunc(time.Minute, func() { panic(fmt.Sprintf("%s: hung", t.Name())) })
	defer tm.Stop()
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run = %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{
		`ok       /fast/0  "fast page 0"`,
		`timeout  /slow/11 after 100ms`,
		"fetch: 12 URLs, 9 ok, 3 timed out, at most 4 at once (pool of 4)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}
