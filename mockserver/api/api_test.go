package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

func TestCatalogue(t *testing.T) {
	s := newTestServer(t)
	code, _, data := call(t, "GET", s.URL+"/api/providers", nil)
	wantStatus(t, code, http.StatusOK, data)
	var cat struct {
		Providers []struct {
			Name     string
			Variants []struct {
				Name         string
				Default      bool
				Deadline     string
				Retry        struct{ Schedule []string }
				Signature    struct{ Scheme, Header string }
				Idempotency  struct{ From string }
				Registration struct{ Check, Event string }
				Assumptions  []struct{ Fact, Note string }
				Events       []struct {
					Name, Schema, Reserved string
					Internal               bool
				}
			}
		}
	}
	if err := json.Unmarshal(data, &cat); err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, p := range cat.Providers {
		byName[p.Name] = i
	}
	for _, want := range []string{"airalo", "esimaccess", "esimfly", "roamify", "simplifytrip", "standard"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("catalogue lacks %s", want)
		}
	}
	fly := cat.Providers[byName["esimfly"]]
	if len(fly.Variants) != 3 || !fly.Variants[0].Default || fly.Variants[0].Deadline != "5s" ||
		fly.Variants[0].Signature.Header != "X-eSIMfly-Signature" || len(fly.Variants[0].Retry.Schedule) != 6 {
		t.Errorf("esimfly variants: %+v", fly.Variants)
	}
	var reserved []string
	for _, v := range fly.Variants {
		for _, e := range v.Events {
			if e.Reserved != "" {
				reserved = append(reserved, v.Name+"/"+e.Name)
			}
		}
	}
	if fmt.Sprint(reserved) != "[2026-09/order.completed]" {
		t.Errorf("esimfly reserved events = %v, want [2026-09/order.completed]", reserved)
	}
	acc := cat.Providers[byName["esimaccess"]]
	var internal bool
	for _, v := range acc.Variants {
		if v.Name == "api-reference" {
			if v.Registration.Check != "event" || v.Registration.Event != "CHECK_HEALTH" {
				t.Errorf("api-reference registration: %+v", v.Registration)
			}
			for _, e := range v.Events {
				internal = internal || e.Name == "CHECK_HEALTH" && e.Internal
			}
		}
	}
	if !internal {
		t.Error("CHECK_HEALTH is not marked internal")
	}
	if air := cat.Providers[byName["airalo"]]; len(air.Variants[0].Assumptions) == 0 {
		t.Error("airalo lists no assumptions")
	}
}

func TestSampleAndSchema(t *testing.T) {
	s := newTestServer(t)
	u := s.URL + "/api/providers/esimfly/variants/2025-01/events/order.completed/sample?seed=42&start=2026-01-15T09:30:00Z"
	code, _, data := call(t, "GET", u, nil)
	wantStatus(t, code, http.StatusOK, data)
	m := decode(t, data)
	if m["seed"] != float64(42) || m["event"] != "order.completed" || m["schema"] == "" {
		t.Fatalf("sample = %s", data)
	}
	body, _ := base64.StdEncoding.DecodeString(m["body_base64"].(string))
	if string(body) != m["body"] {
		t.Error("body and body_base64 differ")
	}
	payload, _ := json.Marshal(m["payload"])
	if !json.Valid(body) || !bytes.Contains(body, []byte(`"event":"order.completed"`)) || len(payload) < 10 {
		t.Errorf("sample body %s", body)
	}
	// The sample carries its validation, as POST /api/validate answers it.
	code, _, checked := call(t, "POST", s.URL+"/api/validate", map[string]any{"provider": "esimfly", "variant": "2025-01", "event": "order.completed", "payload": m["payload"]})
	wantStatus(t, code, http.StatusOK, checked)
	if got, want := m["validation"], decode(t, checked); !reflect.DeepEqual(got, want) || want["checked"] != true {
		t.Errorf("the sample's validation is %v; POST /api/validate of its payload answers %v", got, want)
	}
	// Same seed, same bytes.
	_, _, again := call(t, "GET", u, nil)
	if decode(t, again)["body"] != m["body"] {
		t.Error("the same seed gave different bodies")
	}
	// "default" names the default variant; an encoded "/" reaches Roamify's event.
	code, _, data = call(t, "GET", s.URL+"/api/providers/roamify/variants/default/events/"+url.PathEscape("esim/esim_status")+"/sample", nil)
	wantStatus(t, code, http.StatusOK, data)

	code, hdr, data := call(t, "GET", s.URL+"/api/schemas/"+m["schema"].(string), nil)
	wantStatus(t, code, http.StatusOK, data)
	if hdr.Get("Content-Type") != "application/schema+json" || !bytes.Contains(data, []byte(`"$schema"`)) {
		t.Errorf("schema: %v %.80s", hdr, data)
	}
	code, _, data = call(t, "GET", s.URL+"/api/schemas/common.schema.json", nil)
	wantStatus(t, code, http.StatusOK, data)
	code, _, data = call(t, "GET", s.URL+"/api/schemas/esimfly/nope.schema.json", nil)
	wantStatus(t, code, http.StatusNotFound, data)
}

func TestUnknownNamesAre422WithChoices(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		url, body, pointer, choice string
	}{
		{"/api/providers/nope/variants/default/events/x/sample", "", "", "esimfly"},
		{"/api/providers/esimfly/variants/1999/events/x/sample", "", "", "2026-04"},
		{"/api/providers/esimfly/variants/2025-01/events/nope/sample", "", "", "order.created"},
		{"/api/triggers", `{"provider":"nope","event":"x"}`, "/provider", "airalo"},
		{"/api/triggers", `{"provider":"esimfly","event":"nope"}`, "/event", "topup.failed"},
		{"/api/endpoints", `{"provider":"esimfly","variant":"v9","url":"http://127.0.0.1:1/"}`, "/variant", "2025-01"},
		{"/api/endpoints", `{"provider":"esimfly","events":["order.created","nope"],"url":"http://127.0.0.1:1/"}`, "/events/1", "order.failed"},
		{"/api/validate", `{"provider":"roamify","event":"nope","payload":{}}`, "/event", "esim/esim_status"},
	} {
		method := "GET"
		var body any
		if tc.body != "" {
			method, body = "POST", tc.body
		}
		code, hdr, data := call(t, method, s.URL+tc.url, body)
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
		if hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: Content-Type %q", tc.url, hdr.Get("Content-Type"))
		}
		var p Problem
		json.Unmarshal(data, &p)
		if !strings.Contains(p.Detail, tc.choice) || !contains(p.Choices, tc.choice) {
			t.Errorf("%s %s: problem %s lacks choice %s", tc.url, tc.body, data, tc.choice)
		}
		if tc.pointer != "" && (len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer) {
			t.Errorf("%s %s: errors %+v, want pointer %s", tc.url, tc.body, p.Errors, tc.pointer)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestValidatePayload(t *testing.T) {
	s := newTestServer(t)
	code, _, data := call(t, "POST", s.URL+"/api/validate", map[string]any{
		"provider": "esimfly", "event": "order.created",
		"payload": map[string]any{"event": "order.created", "timestamp": "2026-01-15T09:30:00Z", "data": map[string]any{"order_id": 5}},
	})
	wantStatus(t, code, http.StatusOK, data)
	var res validateResult
	json.Unmarshal(data, &res)
	if res.Valid || !res.Checked || len(res.Violations) == 0 {
		t.Fatalf("an invalid payload validated: %s", data)
	}
	_, _, sample := call(t, "GET", s.URL+"/api/providers/esimfly/variants/default/events/order.created/sample?seed=1", nil)
	payload := decode(t, sample)["payload"]
	code, _, data = call(t, "POST", s.URL+"/api/validate", map[string]any{"provider": "esimfly", "event": "order.created", "payload": payload})
	wantStatus(t, code, http.StatusOK, data)
	json.Unmarshal(data, &res)
	if !res.Valid || len(res.Violations) != 0 {
		t.Fatalf("a generated payload does not validate: %s", data)
	}
}

func TestEndpointsCRUDShowsSecretOnce(t *testing.T) {
	s := newTestServer(t)
	code, hdr, data := call(t, "POST", s.URL+"/api/endpoints", map[string]any{
		"url": "http://127.0.0.1:9/hook", "provider": "esimfly", "variant": "2026-04", "events": []string{"esim.provisioned"},
		"description": "mine", "headers": map[string]string{"X-Env": "dev"}, "chaos": map[string]any{"duplicates": 1, "delay": "2s"},
	})
	wantStatus(t, code, http.StatusCreated, data)
	ep := decode(t, data)
	id, secret := ep["id"].(string), ep["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q, want eSIMfly 2026-04's whsec_ format", secret)
	}
	if hdr.Get("Location") != "/api/endpoints/"+id || ep["source"] != "api" || ep["variant"] != "2026-04" {
		t.Errorf("created %s (Location %q)", data, hdr.Get("Location"))
	}
	if ep["chaos"].(map[string]any)["delay"] != "2s" {
		t.Errorf("chaos %v", ep["chaos"])
	}

	// Never again: not in get, list, patch.
	for _, u := range []string{"/api/endpoints/" + id, "/api/endpoints"} {
		code, _, data := call(t, "GET", s.URL+u, nil)
		wantStatus(t, code, http.StatusOK, data)
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte(`"secret"`)) {
			t.Fatalf("GET %s shows the secret: %s", u, data)
		}
	}
	code, _, data = call(t, "PATCH", s.URL+"/api/endpoints/"+id, map[string]any{"disabled": true, "events": []string{}})
	wantStatus(t, code, http.StatusOK, data)
	if bytes.Contains(data, []byte(secret)) {
		t.Fatal("PATCH shows the secret")
	}
	if m := decode(t, data); m["disabled"] != true || m["description"] != "mine" || len(m["events"].([]any)) != 0 {
		t.Errorf("patched: %s", data)
	}
	// The provider cannot change; unknown fields are refused.
	code, _, data = call(t, "PATCH", s.URL+"/api/endpoints/"+id, map[string]any{"provider": "airalo"})
	wantStatus(t, code, http.StatusBadRequest, data)
	code, _, data = call(t, "PATCH", s.URL+"/api/endpoints/"+id, map[string]any{"url": "ftp://x/"})
	wantStatus(t, code, http.StatusBadRequest, data)

	// Rotation shows the new secret once.
	code, _, data = call(t, "POST", s.URL+"/api/endpoints/"+id+"/rotate-secret", nil)
	wantStatus(t, code, http.StatusOK, data)
	rotated := decode(t, data)["secret"].(string)
	if rotated == secret || !strings.HasPrefix(rotated, "whsec_") {
		t.Fatalf("rotated secret %q", rotated)
	}
	stored, _ := s.store.GetEndpoint(context.Background(), id)
	if stored.Secret != rotated {
		t.Error("the rotated secret was not stored")
	}

	// A given secret is kept (Standard Webhooks' test secret); one the
	// scheme cannot use is refused without being quoted.
	code, _, data = call(t, "POST", s.URL+"/api/endpoints", map[string]any{
		"url": "https://127.0.0.1:9/", "provider": "standard", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	})
	wantStatus(t, code, http.StatusCreated, data)
	std := decode(t, data)
	if std["secret"] != "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" {
		t.Error("the given secret was not kept")
	}
	code, _, data = call(t, "POST", s.URL+"/api/endpoints/"+std["id"].(string)+"/rotate-secret", map[string]any{"secret": "whsec_not*base64"})
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
	if bytes.Contains(data, []byte("not*base64")) {
		t.Error("the problem quotes the refused secret")
	}

	code, _, data = call(t, "DELETE", s.URL+"/api/endpoints/"+id, nil)
	wantStatus(t, code, http.StatusNoContent, data)
	for _, m := range []string{"GET", "DELETE"} {
		code, _, data = call(t, m, s.URL+"/api/endpoints/"+id, nil)
		wantStatus(t, code, http.StatusNotFound, data)
	}
}

func TestTriggerDeliversSigned(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	id, secret := createEndpoint(t, s, map[string]any{"url": rcv.URL + "/hooks/esimfly", "provider": "esimfly"})
	other, _ := createEndpoint(t, s, map[string]any{"url": rcv.URL + "/other", "provider": "roamify"})

	code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{
		"provider": "esimfly", "event": "order.completed", "seed": 7,
		"overrides": map[string]any{"data.order_reference": "REF-<&>-1", "/data/esims/0/iccid": "8944500000000000017"},
	})
	wantStatus(t, code, http.StatusAccepted, data)
	var res triggerResultView
	json.Unmarshal(data, &res)
	if res.EventID == "" || len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != id || res.Deliveries[0].State != engine.StatePending {
		t.Fatalf("trigger result %s", data)
	}
	got := rcv.nextPost(t)
	if got.Path != "/hooks/esimfly" || got.Header.Get("X-eSIMfly-Event") != "order.completed" {
		t.Fatalf("received %s %v", got.Path, got.Header)
	}
	verify(t, "esimfly", "", secret, got)
	if !bytes.Contains(got.Body, []byte(`"order_reference":"REF-<&>-1"`)) || !bytes.Contains(got.Body, []byte(`"iccid":"8944500000000000017"`)) {
		t.Errorf("overrides not applied: %s", got.Body)
	}
	if string(got.Body) != res.Body {
		t.Error("the answer's body differs from the bytes sent")
	}

	// Named endpoints must exist and receive the trigger's provider.
	for _, tc := range []struct{ ids []string }{{[]string{"ep_nope"}}, {[]string{other}}} {
		code, _, data = call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimfly", "event": "order.created", "endpoint_ids": tc.ids})
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
		var p Problem
		json.Unmarshal(data, &p)
		if len(p.Errors) != 1 || p.Errors[0].Pointer != "/endpoint_ids/0" {
			t.Errorf("problem %s", data)
		}
	}
	// Overrides as a list; a given payload keeps its key order.
	code, _, data = call(t, "POST", s.URL+"/api/triggers",
		`{"provider":"esimfly","event":"balance.low","endpoint_ids":["`+id+`"],"payload":{"z":1,"event":"balance.low","a":{"b":2}},"overrides":["a.b=3"]}`)
	wantStatus(t, code, http.StatusAccepted, data)
	if got := rcv.nextPost(t); string(got.Body) != `{"z":1,"event":"balance.low","a":{"b":3}}` {
		t.Errorf("payload sent as %s", got.Body)
	}
	code, _, data = call(t, "POST", s.URL+"/api/triggers", `{"provider":"esimfly","event":"balance.low","overrides":["no-equals"]}`)
	wantStatus(t, code, http.StatusBadRequest, data)
}

func TestResendAndRetryNow(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	rcv.Status.Store(http.StatusInternalServerError)
	attempts, unsubscribe := s.Engine().Subscribe(16)
	defer unsubscribe()
	// Airalo retries after 15 minutes: only retry-now can bring the second
	// attempt within the test's wait.
	_, secret := createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "airalo"})
	code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "airalo", "event": "low_data_75"})
	wantStatus(t, code, http.StatusAccepted, data)
	dlv := decode(t, data)["deliveries"].([]any)[0].(map[string]any)["id"].(string)
	rcv.nextPost(t)
	if a := waitAttempt(t, attempts); a.Success || a.Outcome != engine.StatePending || a.Status != 500 {
		t.Fatalf("first attempt %+v", a)
	}

	rcv.Status.Store(http.StatusOK)
	code, _, data = call(t, "POST", s.URL+"/api/deliveries/"+dlv+"/retry", nil)
	wantStatus(t, code, http.StatusAccepted, data)
	verify(t, "airalo", "", secret, rcv.nextPost(t))
	if a := waitAttempt(t, attempts); !a.Success || a.N != 2 || a.Outcome != engine.StateDelivered {
		t.Fatalf("retried attempt %+v", a)
	}
	// Delivered: retry-now is a conflict now.
	code, _, data = call(t, "POST", s.URL+"/api/deliveries/"+dlv+"/retry", nil)
	wantStatus(t, code, http.StatusConflict, data)
	code, _, data = call(t, "POST", s.URL+"/api/deliveries/dlv_nope/retry", nil)
	wantStatus(t, code, http.StatusNotFound, data)

	code, _, data = call(t, "GET", s.URL+"/api/deliveries/"+dlv+"/attempts", nil)
	wantStatus(t, code, http.StatusOK, data)
	var as struct{ Attempts []map[string]any }
	json.Unmarshal(data, &as)
	if len(as.Attempts) != 2 || as.Attempts[0]["status"] != float64(500) || as.Attempts[1]["success"] != true {
		t.Fatalf("attempts %s", data)
	}

	code, _, data = call(t, "POST", s.URL+"/api/deliveries/"+dlv+"/resend", nil)
	wantStatus(t, code, http.StatusAccepted, data)
	re := decode(t, data)
	if re["resend_of"] != dlv || re["id"] == dlv {
		t.Fatalf("resend %s", data)
	}
	first := rcv.nextPost(t)
	verify(t, "airalo", "", secret, first)
	if a := waitAttempt(t, attempts); a.DeliveryID != re["id"] || !a.Success {
		t.Fatalf("resent attempt %+v", a)
	}
	code, _, data = call(t, "GET", s.URL+"/api/deliveries/"+re["id"].(string), nil)
	wantStatus(t, code, http.StatusOK, data)
	d := decode(t, data)
	if d["state"] != engine.StateDelivered || d["body"] != string(first.Body) || d["body_base64"] != base64.StdEncoding.EncodeToString(first.Body) {
		t.Errorf("delivery %s", data)
	}
	code, _, data = call(t, "POST", s.URL+"/api/deliveries/dlv_nope/resend", nil)
	wantStatus(t, code, http.StatusNotFound, data)
}

func TestDeliveriesPagingAndStats(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	attempts, unsubscribe := s.Engine().Subscribe(16)
	defer unsubscribe()
	id, _ := createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "esimfly"})
	for i := range 5 {
		code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimfly", "event": "order.created", "seed": i})
		wantStatus(t, code, http.StatusAccepted, data)
		rcv.nextPost(t)
		waitAttempt(t, attempts)
	}
	seen := map[string]bool{}
	next := ""
	for page := 0; ; page++ {
		u := s.URL + "/api/deliveries?provider=esimfly&limit=2&endpoint=" + id
		if next != "" {
			u += "&before=" + next
		}
		code, _, data := call(t, "GET", u, nil)
		wantStatus(t, code, http.StatusOK, data)
		var pg struct {
			Deliveries []engine.Delivery
			Next       *string
		}
		json.Unmarshal(data, &pg)
		for _, d := range pg.Deliveries {
			if seen[d.ID] {
				t.Fatalf("delivery %s listed twice", d.ID)
			}
			seen[d.ID] = true
		}
		if pg.Next == nil {
			break
		}
		next = *pg.Next
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d deliveries, want 5", len(seen))
	}
	code, _, data := call(t, "GET", s.URL+"/api/deliveries?before=dlv_nope", nil)
	wantStatus(t, code, http.StatusBadRequest, data)

	code, _, data = call(t, "GET", s.URL+"/api/endpoints/"+id+"/stats", nil)
	wantStatus(t, code, http.StatusOK, data)
	var st endpointStats
	json.Unmarshal(data, &st)
	if st.Deliveries != 5 || st.Attempts != 5 || st.Successful != 5 || st.SuccessRate == nil || *st.SuccessRate != 1 ||
		st.LatencyMS.P50 == nil || st.LatencyMS.P95 == nil || st.States[engine.StateDelivered] != 5 {
		t.Fatalf("stats %s", data)
	} // Every endpoint's statistics in one answer, equal to each one's own.
	createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "roamify"})
	code, _, all := call(t, "GET", s.URL+"/api/endpoints?stats=true", nil)
	wantStatus(t, code, http.StatusOK, all)
	var list struct {
		Endpoints []engine.Endpoint
		Stats     []json.RawMessage
	}
	json.Unmarshal(all, &list)
	if len(list.Endpoints) != 2 || len(list.Stats) != 2 {
		t.Fatalf("GET /api/endpoints?stats=true = %s; want two endpoints and their stats", all)
	}
	for i, ep := range list.Endpoints {
		_, _, own := call(t, "GET", s.URL+"/api/endpoints/"+ep.ID+"/stats", nil)
		if !reflect.DeepEqual(decode(t, list.Stats[i]), decode(t, own)) {
			t.Errorf("endpoint %s: the list's stats %s, its own %s", ep.ID, list.Stats[i], own)
		}
	}
	_, _, plain := call(t, "GET", s.URL+"/api/endpoints", nil)
	if strings.Contains(string(plain), `"stats"`) {
		t.Errorf("GET /api/endpoints without stats=true answered stats: %s", plain)
	}
}

// TestDeliveriesCursorOutlivesPruning: a page's next cursor keeps working
// after retention pruned the delivery it ends with, where that delivery's
// bare id (still accepted as a cursor) is refused; a value that looks like
// a cursor but is not one is refused, naming before.
func TestDeliveriesCursorOutlivesPruning(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	attempts, unsubscribe := s.Engine().Subscribe(16)
	defer unsubscribe()
	createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "esimfly"})
	for i := range 3 {
		code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "esimfly", "event": "order.created", "seed": i})
		wantStatus(t, code, http.StatusAccepted, data)
		rcv.nextPost(t)
		waitAttempt(t, attempts)
	}
	type page struct {
		Deliveries []engine.Delivery
		Next       *string
	}
	list := func(query string, want int) page {
		t.Helper()
		code, _, data := call(t, "GET", s.URL+"/api/deliveries?"+query, nil)
		wantStatus(t, code, want, data)
		var pg page
		json.Unmarshal(data, &pg)
		return pg
	}
	first := list("limit=1", http.StatusOK)
	if len(first.Deliveries) != 1 || first.Next == nil || !strings.HasPrefix(*first.Next, cursorPrefix) {
		t.Fatalf("first page %+v; want one delivery and a %s cursor", first, cursorPrefix)
	}
	byID := list("limit=1&before="+first.Deliveries[0].ID, http.StatusOK)
	byCursor := list("limit=1&before="+*first.Next, http.StatusOK)
	if len(byID.Deliveries) != 1 || len(byCursor.Deliveries) != 1 || byID.Deliveries[0].ID != byCursor.Deliveries[0].ID {
		t.Fatalf("the page after a delivery id %+v differs from the page after its cursor %+v", byID, byCursor)
	}
	// Keep 1 prunes the two oldest: the second page's last delivery is gone.
	second := list("limit=1&before="+*first.Next, http.StatusOK)
	if _, err := s.store.Prune(t.Context(), engine.PruneRule{Keep: 1}); err != nil {
		t.Fatal(err)
	}
	if got := list("before="+*second.Next, http.StatusOK); len(got.Deliveries) != 0 || got.Next != nil {
		t.Errorf("the page after a pruned delivery's cursor is %+v; want the (now empty) rest of the log", got)
	}
	list("before="+second.Deliveries[0].ID, http.StatusBadRequest)
	for _, bad := range []string{cursorPrefix + "!!", cursorPrefix + "AAAA"} {
		code, _, data := call(t, "GET", s.URL+"/api/deliveries?before="+bad, nil)
		wantStatus(t, code, http.StatusBadRequest, data)
		if !strings.Contains(string(data), `"before"`) {
			t.Errorf("before=%s answered %s; want a problem naming before", bad, data)
		}
	}
}

// fakeRunner is a ScenarioRunner for the scenario routes: it reports the
// requests it gets on ran.
type fakeRunner struct{ ran chan ScenarioRunRequest }

func (f *fakeRunner) List() []ScenarioInfo {
	return []ScenarioInfo{{Name: "order-life", Description: "an order's whole life", Providers: []string{"esimfly"}}}
}

func (f *fakeRunner) Run(ctx context.Context, req ScenarioRunRequest) (*ScenarioRun, error) {
	if req.Scenario != "order-life" {
		return nil, fmt.Errorf("scenario %q: %w", req.Scenario, engine.ErrNotFound)
	}
	f.ran <- req
	return &ScenarioRun{ID: "run_1", Scenario: req.Scenario, EndpointID: req.Endpoint.ID, Outcome: RunRunning}, nil
}

func (f *fakeRunner) Get(id string) (*ScenarioRun, error) {
	if id != "run_1" {
		return nil, fmt.Errorf("run %q: %w", id, engine.ErrNotFound)
	}
	return &ScenarioRun{ID: id, Scenario: "order-life", EndpointID: "ep_1", Done: true, Passed: true, Outcome: RunPassed,
		Steps: []ScenarioStep{{Label: "1 order.created", Event: "order.created", Statuses: []int{200},
			Expectations: []ScenarioExpectation{{What: "ack 2xx", Outcome: "passed", Evidence: "200 in 3 ms"}}}}}, nil
}

func TestScenarios(t *testing.T) {
	s := newTestServer(t)
	code, _, data := call(t, "GET", s.URL+"/api/scenarios", nil)
	wantStatus(t, code, http.StatusNotImplemented, data)
	code, _, data = call(t, "POST", s.URL+"/api/scenarios/x/runs", map[string]any{"endpoint_id": "ep_1"})
	wantStatus(t, code, http.StatusNotImplemented, data)

	fr := &fakeRunner{ran: make(chan ScenarioRunRequest, 1)}
	s = newTestServer(t, func(c *Options) { c.Scenarios = fr })
	code, _, data = call(t, "GET", s.URL+"/api/scenarios", nil)
	wantStatus(t, code, http.StatusOK, data)
	if !bytes.Contains(data, []byte("order-life")) {
		t.Errorf("scenarios %s", data)
	}
	id, _ := createEndpoint(t, s, map[string]any{"url": "http://127.0.0.1:9/", "provider": "esimfly"})
	code, _, data = call(t, "POST", s.URL+"/api/scenarios/order-life/runs", map[string]any{"endpoint_id": id, "probe_url": "http://127.0.0.1:9/probe"})
	wantStatus(t, code, http.StatusAccepted, data)
	// The runner gets the endpoint as stored (its secret signs the run),
	// the probe, and the engine the run's deliveries go through.
	if got := <-fr.ran; got.Endpoint.ID != id || got.Endpoint.Secret == "" || got.ProbeURL != "http://127.0.0.1:9/probe" || got.Engine != s.engine {
		t.Errorf("ran %+v", got)
	}
	for _, bad := range []string{"ftp://127.0.0.1/probe", "not a url"} {
		for _, req := range []struct {
			method, path string
			body         map[string]any
		}{
			{"POST", "/api/scenarios/order-life/runs", map[string]any{"endpoint_id": id, "probe_url": bad}},
			{"POST", "/api/endpoints", map[string]any{"url": "http://127.0.0.1:9/", "provider": "esimfly", "probe_url": bad}},
			{"PATCH", "/api/endpoints/" + id, map[string]any{"probe_url": bad}},
		} {
			code, _, data = call(t, req.method, s.URL+req.path, req.body)
			wantStatus(t, code, http.StatusBadRequest, data)
			if !bytes.Contains(data, []byte(`"/probe_url"`)) {
				t.Errorf("%s %s with probe_url %q: the problem does not point at it: %s", req.method, req.path, bad, data)
			}
		}
	}
	// An endpoint's probe serves the runs that do not name one; the
	// run's own wins; PATCH "" removes it.
	withProbe, _ := createEndpoint(t, s, map[string]any{"url": "http://127.0.0.1:9/", "provider": "esimfly", "probe_url": "http://127.0.0.1:9/ep-probe"})
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"endpoint_id": withProbe}, "http://127.0.0.1:9/ep-probe"},
		{map[string]any{"endpoint_id": withProbe, "probe_url": "http://127.0.0.1:9/run-probe"}, "http://127.0.0.1:9/run-probe"},
	} {
		code, _, data = call(t, "POST", s.URL+"/api/scenarios/order-life/runs", tc.body)
		wantStatus(t, code, http.StatusAccepted, data)
		if got := <-fr.ran; got.ProbeURL != tc.want {
			t.Errorf("run %v: probe %q, want %q", tc.body, got.ProbeURL, tc.want)
		}
	}
	code, _, data = call(t, "PATCH", s.URL+"/api/endpoints/"+withProbe, map[string]any{"probe_url": ""})
	wantStatus(t, code, http.StatusOK, data)
	if bytes.Contains(data, []byte("probe_url")) {
		t.Errorf("PATCH probe_url \"\" kept it: %s", data)
	}
	code, _, data = call(t, "GET", s.URL+"/api/scenario-runs/run_1", nil)
	wantStatus(t, code, http.StatusOK, data)
	if !bytes.Contains(data, []byte(`"evidence":"200 in 3 ms"`)) || !bytes.Contains(data, []byte(`"done":true`)) {
		t.Errorf("run progress %s", data)
	}
	code, _, data = call(t, "GET", s.URL+"/api/scenario-runs/run_2", nil)
	wantStatus(t, code, http.StatusNotFound, data)
	code, _, data = call(t, "POST", s.URL+"/api/scenarios/nope/runs", map[string]any{"endpoint_id": id})
	wantStatus(t, code, http.StatusNotFound, data)
	code, _, data = call(t, "POST", s.URL+"/api/scenarios/order-life/runs", map[string]any{"endpoint_id": "ep_nope"})
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
	code, _, data = call(t, "POST", s.URL+"/api/scenarios/order-life/runs", map[string]any{})
	wantStatus(t, code, http.StatusBadRequest, data)
}
