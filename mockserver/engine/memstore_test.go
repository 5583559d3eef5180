package engine_test

import (
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) engine.Store { return engine.NewMemoryStore() })
}
