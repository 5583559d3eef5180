package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/openapi"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// acmeProfile is a provider no Go code in this repository knows: a profile
// and one schema, laid out as the shipped ones are (acme.yaml next to
// acme/<variant>/<event>.schema.json).
const acmeProfile = `name: acme
title: ACME eSIM
description: A provider that exists only in this test.
variants:
  - name: v2
    source: ACME's webhook page (test)
    envelope: '{kind, at, data}'
    encoding: js
    discriminator: [/kind]
    delivery_id: uuid
    headers:
      - {name: Content-Type, value: application/json}
      - {name: X-Acme-Delivery, value: "{{var delivery_id}}"}
    signature: {scheme: hmac-hex, hash: sha256, header: X-Acme-Signature, prefix: "v1=", message: raw, secret_format: hex32}
    ack: {deadline: 4s, success: 2xx}
    retry: {schedule: [0s, 30s, 5m]}
    idempotency: {from: header, name: X-Acme-Delivery}
    registration: {check: none}
    assumed:
      - {fact: retry.schedule, note: "ACME says it retries; the intervals are assumed."}
    notes:
      - "ACME answers nothing about ordering."
    events:
      - name: esim.ready
        description: The eSIM is ready.
        time: /at
        resources: [{id: /data/iccid, status: "=ready"}]
        payload:
          kind: esim.ready
          at: "{{time iso8601}}"
          data: {iccid: "{{iccid}}"}
`

const acmeSchema = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","required":["kind","at","data"],
"properties":{"kind":{"const":"esim.ready"},"at":{"type":"string"},
"data":{"type":"object","required":["iccid"],"properties":{"iccid":{"type":"string","pattern":"^[0-9]{19,20}$"}}}}}`

// acmeDir writes the throwaway profile directory.
func acmeDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "acme", "v2"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"acme.yaml": acmeProfile, "acme/v2/esim.ready.schema.json": acmeSchema} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// acmeReceiver verifies ACME's signature as ACME would document it, with
// crypto/hmac alone ("v1=" + hex HMAC-SHA256 of the raw body), checks the
// body against the schema's shape, and reports each verified body.
func acmeReceiver(t *testing.T, secret string) (*httptest.Server, <-chan map[string]any) {
	t.Helper()
	got := make(chan map[string]any, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if !hmac.Equal([]byte(r.Header.Get("X-Acme-Signature")), []byte("v1="+hex.EncodeToString(m.Sum(nil)))) || r.Header.Get("X-Acme-Delivery") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var v map[string]any
		if json.Unmarshal(body, &v) != nil || v["kind"] != "esim.ready" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
		select {
		case got <- v:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// A new provider is a profile and its schemas: no Go code. This loads one
// from a throwaway directory and uses it through every surface: send, the
// mock server, check --dry-run and its generated OpenAPI document.
func TestANewProviderNeedsNoGoCode(t *testing.T) {
	dir := acmeDir(t)
	const secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

	t.Run("send signs as the profile says", func(t *testing.T) {
		rcv, got := acmeReceiver(t, secret)
		code, out, errs := cli(t, "", "send", "--profile-file", dir, "--provider", "acme", "--event", "esim.ready", "--secret", secret, "--to", rcv.URL)
		if code != 0 {
			t.Fatalf("send: exit %d, stderr %q:\n%s", code, errs, out)
		}
		select {
		case v := <-got:
			if d, _ := v["data"].(map[string]any); d == nil || d["iccid"] == "" {
				t.Errorf("body %v", v)
			}
		default:
			t.Fatal("send exited 0 but the receiver verified no delivery")
		}
		// A wrong secret: the receiver refuses, send says so and exits 1.
		if code, _, _ := cli(t, "", "send", "--profile-file", dir, "--provider", "acme", "--event", "esim.ready", "--secret", "wrong", "--to", rcv.URL); code != 1 {
			t.Errorf("send with a wrong secret: exit %d, want 1", code)
		}
	})

	t.Run("serve delivers its events signed", func(t *testing.T) {
		rcv, got := acmeReceiver(t, secret)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pr, pw := io.Pipe()
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, &env{strings.NewReader(""), pw, io.Discard, func(string) string { return "" }},
				[]string{"serve", "--store", "memory", "--addr", "127.0.0.1:0", "--profile-file", dir})
			pw.Close()
		}()
		sc := bufio.NewScanner(pr)
		var base string
		for base == "" && sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), "listening on "); ok {
				base = strings.TrimSpace(u)
			}
		}
		go io.Copy(io.Discard, pr)
		if base == "" {
			t.Fatal("serve printed no URL")
		}
		ep := apiPost(t, base+"/api/endpoints", map[string]any{"url": rcv.URL, "provider": "acme", "secret": secret})
		apiPost(t, base+"/api/triggers", map[string]any{"provider": "acme", "event": "esim.ready", "endpoint_ids": []any{ep["id"]}})
		select {
		case v := <-got:
			if v["kind"] != "esim.ready" {
				t.Errorf("delivered %v", v)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no verified delivery of acme's esim.ready within 30s")
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exit %d", code)
		}
	})

	t.Run("check --dry-run applies the requirements the profile's facts call for", func(t *testing.T) {
		js := filepath.Join(t.TempDir(), "r.json")
		code, out, errs := cli(t, "", "check", "--profile-file", dir, "--provider", "acme", "--target", "http://127.0.0.1:1/hook", "--dry-run", "--report-json", js)
		if code != 0 {
			t.Fatalf("exit %d, stderr %q:\n%s", code, errs, out)
		}
		raw, err := os.ReadFile(js)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Provider     string `json:"provider"`
			Requirements []struct {
				ID, Category, Outcome, Evidence string
				WouldRun                        bool `json:"would_run"`
			} `json:"requirements"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		signature, replay, only200 := 0, 0, 0
		for _, r := range s.Requirements {
			switch {
			case r.WouldRun && r.Category == "signature":
				signature++
			case strings.Contains(r.Evidence, "signs no timestamp with a replay window"):
				replay++
			case strings.Contains(r.Evidence, "counts any 2xx as delivered"):
				only200++
			}
		}
		// ACME signs (signature requirements run), signs no time (replay
		// requirements do not apply) and accepts any 2xx (200-only ones do
		// not apply): each answer comes from the profile's facts.
		if signature == 0 || replay == 0 || only200 == 0 {
			t.Errorf("%s: %d signature requirements would run, %d skipped for no replay window, %d for any 2xx; want each > 0\n%s", s.Provider, signature, replay, only200, raw)
		}
	})

	t.Run("its OpenAPI document is generated from the profile", func(t *testing.T) {
		profs, err := providers.LoadDir(dir)
		if err != nil || len(profs) != 1 {
			t.Fatalf("LoadDir: %v, %d profiles", err, len(profs))
		}
		data, err := openapi.Generate(profs[0])
		if err != nil {
			t.Fatal(err)
		}
		doc, err := openapi.LoadData(context.Background(), "acme.yaml", data)
		if err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		op := doc.Webhooks["esim.ready"].Post
		if op == nil {
			t.Fatalf("no esim.ready webhook:\n%s", data)
		}
		sig := op.Parameters.GetByInAndName("header", "X-Acme-Signature")
		if sig == nil || sig.Schema.Value.Pattern != `^v1=[0-9a-f]{64}$` || op.Parameters.GetByInAndName("header", "X-Acme-Delivery") == nil {
			t.Errorf("header parameters: %+v", op.Parameters)
		}
		for name, want := range map[string]string{"x-ack-deadline": "4s", "x-ack-success": "2xx", "x-retry-schedule": "[0s 30s 5m]"} {
			if got := jsonText(op.Extensions[name]); got != want {
				t.Errorf("%s = %s, want %s", name, got, want)
			}
		}
		if op.Responses.Value("2XX") == nil || !strings.Contains(string(data), "ACME says it retries") || !strings.Contains(doc.Info.Description, "ACME answers nothing about ordering.") {
			t.Errorf("ack response, assumption or note missing:\n%s", data)
		}
		// The inlined schema is the profile's: a generated payload passes,
		// a broken one fails.
		schema := op.RequestBody.Value.Content["application/json"].Schema.Value
		v, _ := profs[0].Variant("")
		ev, _ := v.Event("esim.ready")
		pl, err := ev.Generate(payload.NewWorld(1, payload.Epoch))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.VisitJSON(jsonv.ToAny(pl)); err != nil {
			t.Errorf("generated payload fails the document's schema: %v", err)
		}
		if err := schema.VisitJSON(map[string]any{"kind": "esim.ready", "at": "x", "data": map[string]any{"iccid": "12"}}); err == nil {
			t.Error("the document's schema accepts a 2-digit ICCID")
		}
	})
}

func jsonText(v any) string {
	switch x := v.(type) {
	case []any:
		var s []string
		for _, e := range x {
			s = append(s, jsonText(e))
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
