package reuseport

import (
	"testing"

	"github.com/gevent-go/gevent/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
