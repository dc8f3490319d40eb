//go:build !unix

package benchbatch

import "time"

// cpuTime is 0 (unknown) where getrusage does not exist: Run then reports
// no cpu-ns/op.
func cpuTime() time.Duration { return 0 }
