package main

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/gevent-go/gevent/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// The example shows the stuck greenlets with their waits, a hub held by a
// time.Sleep as not responding, and the wait graph of the deadlock.
func TestDebugExample(t *testing.T) {
	tm := time.AfterFunc(time.Minute, func() { panic(fmt.Sprintf("%s: hung", t.Name())) })
	defer tm.Stop()
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run = %v\n%s", err, out.String())
	}
	for _, want := range []string{
		`\n    consumer #\d+ parked on queue\.get queue\(len 0/10, 1 getters, 0 putters, 0 unfinished\) for \d`,
		`\n    holder #\d+ parked on event event\.Event\(clear, 1 waiting\)`,
		`\n    worker #\d+ parked on lock lock\.Reentrant\(owner holder #\d+, 0 free, 1 waiting\)`,
		`\n  main #0 parked on blocking \w+\.fetch\.func1 for `,
		`\nhub app #\d+: running, did not respond in time \(held by stall #4 in \S+, reported by the stall monitor after \d`,
		`\n\S+ hub app #\d+: stall #4 \[\w+\.run\.func1\.4\] has held the hub without a switch for \d`,
		`\n\S+ hub app #\d+: stall #4 \[\w+\.run\.func1\.4\] held the hub for \d[\d.]*m?s\n`,
		`\n  cycle: main #0 -> child #1 -> main #0\n`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
