package main

import (
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver"
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
		want       mockserver.Retention
	}{
		{"default", "memory", mockserver.Retention{MaxCount: mockserver.DefaultMemoryRetainCount}},
		{"default", "sqlite", mockserver.Retention{MaxAge: mockserver.DefaultSQLiteRetainAge}},
		{"off", "memory", mockserver.Retention{}},
		{"7d,100", "sqlite", mockserver.Retention{MaxAge: 7 * 24 * 3600e9, MaxCount: 100}},
	} {
		if got, err := retention(c.val, c.store); err != nil || got != c.want {
			t.Errorf("retention(%q, %s) = %+v, %v; want %+v", c.val, c.store, got, err, c.want)
		}
	}
}
