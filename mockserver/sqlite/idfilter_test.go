package sqlite

import (
	"fmt"
	"testing"
)

// TestIDFilter checks that the filter never says no for an id it holds,
// across its growth, and says maybe for few it does not.
func TestIDFilter(t *testing.T) {
	f := newIDFilter()
	if f.has("d_1") {
		t.Fatal("an empty filter says it may hold d_1")
	}
	const n = 50000 // several layers: 4096, 8192, 16384, 32768
	for i := range n {
		f.add(fmt.Sprintf("dlv_%08d", i))
	}
	if len(f.layers) < 4 {
		t.Errorf("%d ids in %d layers, want at least 4", n, len(f.layers))
	}
	for i := range n {
		if id := fmt.Sprintf("dlv_%08d", i); !f.has(id) {
			t.Fatalf("the filter lost %s", id)
		}
	}
	wrong := 0
	for i := range n {
		if f.has(fmt.Sprintf("other_%08d", i)) {
			wrong++
		}
	}
	// About 0.3 % a layer, at most a few layers: 2 % is far above it.
	if rate := float64(wrong) / n; rate > 0.02 {
		t.Errorf("false maybe for %d of %d ids not added (%.2f %%)", wrong, n, 100*rate)
	}
}
