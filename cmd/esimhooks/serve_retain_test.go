package main

import (
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestServeRetainFlag: a bad --retain exits 2 naming the flag and the
// value before the server listens; "default" depends on the store.
func TestServeRetainFlag(t *testing.T) {
	for _, bad := range []string{"soon", "7d,8d", "-1", ""} {
		code, out, errs := cli(t, "", "serve", "--store", "memory", "--addr", "127.0.0.1:0", "--retain", bad)
		if code != 2 || !strings.Contains(errs, "--retain") || strings.Contains(out, "listening") {
			t.Errorf("--retain %q: exit %d\n%s%s", bad, code, out, errs)
		}
	}
	for _, c := range []struct {
		val, store string
		want       engine.Retention
	}{
		{"default", "memory", engine.Retention{MaxCount: engine.DefaultMemoryRetainCount}},
		{"default", "sqlite", engine.Retention{MaxAge: engine.DefaultSQLiteRetainAge}},
		{"off", "memory", engine.Retention{}},
		{"7d,100", "sqlite", engine.Retention{MaxAge: 7 * 24 * 3600e9, MaxCount: 100}},
	} {
		if got, err := retention(c.val, c.store); err != nil || got != c.want {
			t.Errorf("retention(%q, %s) = %+v, %v; want %+v", c.val, c.store, got, err, c.want)
		}
	}
}
