package mockserver

import (
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestNewRefusesNetworkWithoutToken: New refuses an address that is not
// loopback without a token, and a Config without a Store.
func TestNewRefusesNetworkWithoutToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:80"} {
		s, err := New(Config{Store: engine.NewMemoryStore(), Addr: addr})
		if err == nil {
			s.Close()
			t.Fatalf("New(%q) without a token succeeded", addr)
		}
		if !strings.Contains(err.Error(), "token") {
			t.Errorf("New(%q): %v; want an error naming the token", addr, err)
		}
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "Store") {
		t.Errorf("New without a store: %v", err)
	}
}

// TestNewRefusesBadTokens: New refuses every token api.CheckToken refuses
// (TestTokenRules in package api lists them).
func TestNewRefusesBadTokens(t *testing.T) {
	for _, tok := range []string{" ", "x", "fifteen-chars-x", " sixteen-chars-xx", "sixteen-chars-xx\n", "sixteen chars xxx", "sixteen-chars-xx\t"} {
		if s, err := New(Config{Store: engine.NewMemoryStore(), Token: tok}); err == nil {
			s.Close()
			t.Errorf("New accepted the token %q", tok)
		}
	}
	s, err := New(Config{Store: engine.NewMemoryStore(), Token: "sixteen-chars-xx"})
	if err != nil {
		t.Fatalf("New with a 16-character token: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
