package engine_test

import (
	"testing"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) mockserver.Store { return mockserver.NewMemoryStore() })
}
