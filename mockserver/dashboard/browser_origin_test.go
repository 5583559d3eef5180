package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// refusedCrossOrigin reads esimhooks_refused_requests_total{reason=
// "cross-origin"} from the server's metrics.
func refusedCrossOrigin(t *testing.T, srv *mockserver.Server) int {
	t.Helper()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`esimhooks_refused_requests_total\{reason="cross-origin"\} (\d+)`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// deliveries counts the deliveries in the store.
func deliveries(t *testing.T, store engine.Store) int {
	t.Helper()
	ds, err := store.ListDeliveries(context.Background(), engine.DeliveryFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(ds)
}

// TestOtherOriginCannotTrigger: a page of another origin (another loopback
// port, as a page the developer visits would be) sends the requests a
// browser lets it send without asking the server (no-cors POSTs: a
// trigger, a resend of a known delivery); the server refuses both and
// nothing is sent. The same resend from the dashboard's own origin works,
// so the test would see a request that got through.
func TestOtherOriginCannotTrigger(t *testing.T) {
	ctx := startBrowser(t)
	srv, store := startServer(t, "", nil)
	rcv := newReceiver(t)
	res, err := http.Post(srv.URL+"/api/endpoints", "application/json", strings.NewReader(`{"url":"`+rcv.URL+`/hook","provider":"roamify"}`))
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("creating an endpoint: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Post(srv.URL+"/api/triggers", "application/json", strings.NewReader(`{"provider":"roamify","event":"esim/esim_status"}`))
	if err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("triggering: %v %v", res, err)
	}
	res.Body.Close()
	rcv.next(t, "/hook")
	ds, err := store.ListDeliveries(context.Background(), engine.DeliveryFilter{Limit: 1})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v %v", ds, err)
	}
	resend := fmt.Sprintf("%s/api/deliveries/%s/resend", srv.URL, ds[0].ID)

	attack := fmt.Sprintf(`Promise.all([
		fetch(%q, {method: "POST", mode: "no-cors", body: JSON.stringify({provider: "roamify", event: "esim/esim_status"})}),
		fetch(%q, {method: "POST", mode: "no-cors"}),
	]).then(() => "answered", (e) => "failed: " + e)`, srv.URL+"/api/triggers", resend)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>elsewhere</title><p>another site</p>`)
	}))
	defer page.Close()
	if page.URL == srv.URL {
		t.Fatal("the page and the server share an origin")
	}
	do(t, ctx, "opening a page of another origin", chromedp.Navigate(page.URL+"/"))
	// fetch resolves once the answers arrived, so the server has handled
	// both requests by now.
	if got := eval[string](t, ctx, attack); got != "answered" {
		t.Fatalf("the page's requests: %s", got)
	}
	if n := refusedCrossOrigin(t, srv); n != 2 {
		t.Errorf("%d cross-origin requests refused, want 2", n)
	}
	if n := deliveries(t, store); n != 1 {
		t.Fatalf("another origin's page made %d deliveries, want none beyond the first", n-1)
	}

	// The positive control: the dashboard's own origin may resend.
	do(t, ctx, "opening the dashboard", chromedp.Navigate(srv.URL+"/"))
	if got := eval[int](t, ctx, fmt.Sprintf(`fetch(%q, {method: "POST"}).then((r) => r.status)`, resend)); got != http.StatusAccepted {
		t.Fatalf("resend from the dashboard's origin: %d, want 202", got)
	}
	if n := deliveries(t, store); n != 2 {
		t.Fatalf("%d deliveries after a same-origin resend, want 2", n)
	}
	rcv.next(t, "/hook")
}
