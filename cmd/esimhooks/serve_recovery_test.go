package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// getJSON GETs url and decodes the JSON answer into v; it returns the status.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

// TestServeRecoversAroundAPoisonedRow: a log holding the rows issue 11's
// request left behind (a negative chaos duration on a pending delivery and
// on its endpoint) no longer stops serve from starting: the delivery is
// quarantined and listed as such, the endpoint list and triggers work,
// and /healthz is ok.
func TestServeRecoversAroundAPoisonedRow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer rcv.Close()
	db := filepath.Join(t.TempDir(), "log.db")
	args := []string{"--store", "sqlite", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "error"}
	a := startServe(t, args...)
	ep := apiPost(t, a.url+"/api/endpoints", map[string]any{"url": rcv.URL, "provider": "airalo", "secret": "airalo-client-secret"})
	// Two deliveries held pending for an hour.
	for range 2 {
		apiPost(t, a.url+"/api/triggers", map[string]any{"provider": "airalo", "event": "credit_limit",
			"endpoint_ids": []any{ep["id"]}, "chaos": map[string]any{"delay": "1h"}})
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()

	// What an older release stored for {"chaos":{"delay":1e300}}. The
	// endpoints are in the main file, the deliveries in the first segment
	// (serve's default retention segments the log).
	const poison = `{"delay":"-2562047h47m16.854775808s"}`
	for _, c := range []struct{ file, q string }{
		{filepath.Join(db+".segments", "000001.db"), `UPDATE deliveries SET chaos = '` + poison + `' WHERE seq = (SELECT min(seq) FROM deliveries)`},
		{db, `UPDATE endpoints SET chaos = '` + poison + `'`},
	} {
		conn, err := sql.Open("sqlite", c.file)
		if err != nil {
			t.Fatal(err)
		}
		res, err := conn.Exec(c.q)
		if err != nil {
			t.Fatalf("%s: %s: %v", c.file, c.q, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%s: %s: %d rows, want 1", c.file, c.q, n)
		}
		conn.Close()
	}

	b := startServe(t, args...)
	var health map[string]any
	if code := getJSON(t, b.url+"/healthz", &health); code != http.StatusOK {
		t.Errorf("/healthz %d: %v", code, health)
	}
	var page struct {
		Deliveries []struct{ ID, State, Quarantined string } `json:"deliveries"`
	}
	if code := getJSON(t, b.url+"/api/deliveries?state=quarantined", &page); code != http.StatusOK || len(page.Deliveries) != 1 ||
		!strings.Contains(page.Deliveries[0].Quarantined, "negative") {
		t.Errorf("state=quarantined: %d %+v; want the poisoned delivery, saying why", code, page.Deliveries)
	}
	if code := getJSON(t, b.url+"/api/deliveries?state=pending", &page); code != http.StatusOK || len(page.Deliveries) != 1 {
		t.Errorf("state=pending: %d %+v; want the sound delivery", code, page.Deliveries)
	}
	var eps struct {
		Endpoints []struct {
			ID, Quarantined string
			Disabled        bool
		} `json:"endpoints"`
	}
	if code := getJSON(t, b.url+"/api/endpoints", &eps); code != http.StatusOK || len(eps.Endpoints) != 1 ||
		!eps.Endpoints[0].Disabled || eps.Endpoints[0].Quarantined == "" {
		t.Fatalf("endpoints: %d %+v; want the endpoint, disabled and quarantined", code, eps.Endpoints)
	}
	// Updating the endpoint repairs it; triggers work again.
	req, _ := http.NewRequest(http.MethodPatch, b.url+"/api/endpoints/"+eps.Endpoints[0].ID,
		strings.NewReader(`{"chaos":{},"disabled":false}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d", resp.StatusCode)
	}
	res := apiPost(t, b.url+"/api/triggers", map[string]any{"provider": "airalo", "event": "credit_limit"})
	if ds, _ := res["deliveries"].([]any); len(ds) != 1 {
		t.Errorf("trigger after the repair: %v", res)
	}
}
