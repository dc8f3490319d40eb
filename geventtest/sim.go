package geventtest

import (
	"context"
	"testing"

	"github.com/gevent-go/gevent/sim"
)

// Sim runs body as a deterministic simulation once per seed (sim.Test): a
// failure names its seed and how to replay it (GEVENT_SIM_SEED=N).
func Sim(t *testing.T, body func(ctx context.Context) error, opts ...sim.TestOption) {
	t.Helper()
	sim.Test(t, body, opts...)
}
