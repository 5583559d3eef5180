package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// eventSchemas is every provider event the brief names, as <provider>/<variant>/<event>.
var eventSchemas = map[string][]string{
	"airalo/default": {"async_order", "async_order_failed", "low_data_75", "low_data_90",
		"low_data_3days", "low_data_1days", "credit_limit"},
	"esimfly/2025-01": {"order.created", "order.completed", "order.failed", "esim.activated",
		"esim.expired", "balance.low", "topup.completed", "topup.failed"},
	"esimfly/2026-04": {"esim.provisioned", "order.completed"},
	"esimfly/2026-09": {"esim.installed", "esim.profile.updated", "esim.status.changed", "esim.usage.threshold",
		"esim.provisioned", "order.completed"},
	"esimaccess/open-api":      {"ORDER_STATUS", "PROFILE_STATUS", "DATA_USAGE"},
	"esimaccess/api-reference": {"CHECK_HEALTH", "ORDER_STATUS", "SMDP_EVENT", "ESIM_STATUS", "DATA_USAGE", "VALIDITY_USAGE"},
	"roamify/overview": {"esim/esim_usage", "esim/esim_status", "partner/low_balance",
		"partner/insufficient_balance", "partner/top_up", "affiliate/order"},
	"roamify/per-type": {"esim/usage", "esim/status", "partner/low_balance", "partner/insufficient_balance",
		"partner/top_up", "affiliate/order", "refund/refunded", "refund/rejected"},
	"simplifytrip/default": {"PURCHASE_ORDER_SUCCESS", "PHYSICAL_SIM_ORDER_STATUS", "RETURN_REQUEST_STATUS"},
	"standard/v1":          {"order.created", "order.completed", "esim.activated", "esim.usage", "balance.low"},
}

func eventPaths() []string {
	var out []string
	for pv, events := range eventSchemas {
		provider, variant, _ := strings.Cut(pv, "/")
		for _, e := range events {
			out = append(out, EventPath(provider, variant, e))
		}
	}
	return out
}

func readDoc(t *testing.T, p string) map[string]any {
	t.Helper()
	data, err := FS.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	v, err := decode(data)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: not an object", p)
	}
	return m
}

func TestEverySchemaCompiles(t *testing.T) {
	paths := Paths()
	if len(paths) < 50 {
		t.Fatalf("only %d schema files embedded", len(paths))
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			if _, err := Compile(p); err != nil {
				t.Fatal(err)
			}
			doc := readDoc(t, p)
			if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("$schema = %v", doc["$schema"])
			}
			if doc["$id"] != BaseURL+p {
				t.Errorf("$id = %v, want %s", doc["$id"], BaseURL+p)
			}
		})
	}
}

func TestEveryEventHasASchema(t *testing.T) {
	for _, p := range eventPaths() {
		doc := readDoc(t, p)
		for _, k := range []string{"title", "description", "examples"} {
			if _, ok := doc[k]; !ok {
				t.Errorf("%s: no %s", p, k)
			}
		}
	}
}

// Every example of every schema validates (the event schemas each carry at
// least one; shared-definition files may carry some on their $defs, which are
// not checked here).
func TestExamplesValidate(t *testing.T) {
	for _, p := range Paths() {
		doc := readDoc(t, p)
		examples, _ := doc["examples"].([]any)
		for i, ex := range examples {
			if err := Validate(p, ex); err != nil {
				t.Errorf("%s examples[%d]:\n%v", p, i, err)
			}
		}
	}
}

func example(t *testing.T, p string) map[string]any {
	t.Helper()
	ex := readDoc(t, p)["examples"].([]any)[0]
	data, _ := json.Marshal(ex)
	v, _ := decode(data) // deep copy
	return v.(map[string]any)
}

func at(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func TestInvalidDocuments(t *testing.T) {
	tests := []struct {
		name    string
		schema  string
		mutate  func(m map[string]any)
		pointer string
		keyword string
		message string // substring
	}{
		{"missing required field", "esimfly/2025-01/order.created.schema.json",
			func(m map[string]any) { delete(at(m, "data").(map[string]any), "order_id") },
			"/data", "required", "order_id"},
		{"missing envelope field", "simplifytrip/default/PURCHASE_ORDER_SUCCESS.schema.json",
			func(m map[string]any) { delete(m, "sentDate") }, "", "required", "sentDate"},
		{"wrong type", "esimfly/2025-01/order.created.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["quantity"] = "1" },
			"/data/quantity", "type", "expected integer"},
		{"wrong type unix seconds", "roamify/overview/esim.esim_status.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["timestamp"] = "2025-01-01T00:00:00Z" },
			"/data/timestamp", "type", "expected integer"},
		{"bad enum", "roamify/per-type/esim.status.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["status"] = "ACTIVE" },
			"/data/status", "enum", `"ACTIVATED"`},
		{"bad enum mode", "simplifytrip/default/RETURN_REQUEST_STATUS.schema.json",
			func(m map[string]any) { m["mode"] = "SANDBOX" }, "/mode", "enum", `"TEST_MODE", "LIVE_MODE"`},
		{"bad ICCID pattern", "esimfly/2025-01/esim.activated.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["iccid"] = "89012345" },
			"/data/iccid", "pattern", `does not match "^[0-9]{17,20}$"`},
		{"bad ICCID in array", "esimaccess/open-api/ORDER_STATUS.schema.json",
			func(m map[string]any) { at(m, "profiles", 0).(map[string]any)["iccid"] = "89O1234567890123456" },
			"/profiles/0/iccid", "pattern", `"^[0-9]{17,20}$"`},
		{"wrong discriminator", "esimfly/2025-01/order.failed.schema.json",
			func(m map[string]any) { m["event"] = "order.completed" }, "/event", "const", `must be "order.failed"`},
		{"airalo level const", "airalo/default/low_data_90.schema.json",
			func(m map[string]any) { m["level"] = "75%" }, "/level", "const", `"90%"`},
		{"bad date-time", "standard/v1/esim.activated.schema.json",
			func(m map[string]any) { m["timestamp"] = "yesterday" }, "/timestamp", "format", "date-time"},
		{"esimaccess basic offset accepted elsewhere, not in RFC 3339 field", "esimaccess/open-api/DATA_USAGE.schema.json",
			func(m map[string]any) { m["timestamp"] = "2025-09-11T13:28:09+0000" }, "/timestamp", "format", "date-time"},
		{"esimaccess loose time", "esimaccess/api-reference/VALIDITY_USAGE.schema.json",
			func(m map[string]any) { m["eventGenerateTime"] = "2025-09-11 13:28:09" }, "/eventGenerateTime", "pattern", "T"},
		{"roamify refund event_id", "roamify/per-type/refund.rejected.schema.json",
			func(m map[string]any) { m["event_id"] = "rfd_123_refunded" }, "/event_id", "pattern", "rejected"},
		{"roamify refund status upper case", "roamify/per-type/refund.refunded.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["status"] = "refunded" }, "/data/status", "const", `"REFUNDED"`},
		{"roamify rejected status", "roamify/per-type/refund.rejected.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["status"] = "REFUNDED" }, "/data/status", "const", `"REJECTED"`},
		{"roamify voice units", "roamify/overview/esim.esim_usage.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["voice_units"] = "MIN" }, "/data/voice_units", "const", `"minutes"`},
		{"esimfly 2026-09 esim_id integer", "esimfly/2026-09/esim.installed.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["esim_id"] = "23691" }, "/data/esim_id", "type", "expected integer"},
		{"esimfly 2026-09 package_code string", "esimfly/2026-09/esim.status.changed.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["package_code"] = 2163597 }, "/data/package_code", "type", "expected string"},
		{"esimfly 2026-09 timestamp milliseconds", "esimfly/2026-09/esim.usage.threshold.schema.json",
			func(m map[string]any) { m["timestamp"] = "2026-09-13T15:05:20Z" }, "/timestamp", "pattern", ""},
		{"esimfly 2026-09 threshold values", "esimfly/2026-09/esim.usage.threshold.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["threshold_remaining_mb"] = 300 }, "/data/threshold_remaining_mb", "enum", "500"},
		{"esimfly 2026-09 lifecycle status", "esimfly/2026-09/esim.status.changed.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["new_status"] = "active" }, "/data/new_status", "enum", `"ACTIVE"`},
		{"roamify rejection reason", "roamify/per-type/refund.rejected.schema.json",
			func(m map[string]any) { delete(at(m, "data").(map[string]any), "rejection_reason") },
			"/data", "required", "rejection_reason"},
		{"airalo failed has no sims", "airalo/default/async_order_failed.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["sims"] = []any{} }, "/data", "not", ""},
		{"airalo qrcode", "airalo/default/async_order.schema.json",
			func(m map[string]any) { at(m, "data", "sims", 0).(map[string]any)["qrcode"] = "lpa.airalo.com" },
			"/data/sims/0/qrcode", "pattern", "LPA:1"},
		{"airalo request_id", "airalo/default/async_order.schema.json",
			func(m map[string]any) { m["request_id"] = "short" }, "/request_id", "pattern", "{25}"},
		{"simplifytrip eSIM item needs eSims", "simplifytrip/default/PURCHASE_ORDER_SUCCESS.schema.json",
			func(m map[string]any) { delete(at(m, "data", "items", 0).(map[string]any), "eSims") },
			"/data/items/0", "required", "eSims"},
		{"esimfly 2026-04 data URL", "esimfly/2026-04/esim.provisioned.schema.json",
			func(m map[string]any) { at(m, "data").(map[string]any)["qr_code_url"] = "https://x/qr.png" },
			"/data/qr_code_url", "pattern", "data:"},
		{"esimaccess threshold enum", "esimaccess/api-reference/DATA_USAGE.schema.json",
			func(m map[string]any) { at(m, "content").(map[string]any)["remainThreshold"] = json.Number("0.3") },
			"/content/remainThreshold", "enum", "0.5, 0.2, 0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := example(t, tc.schema)
			tc.mutate(doc)
			err := Validate(tc.schema, doc)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v (%T), want *ValidationError", err, err)
			}
			for _, v := range ve.Violations {
				if v.Pointer == tc.pointer && v.Keyword == tc.keyword && strings.Contains(v.Message, tc.message) {
					return
				}
			}
			t.Fatalf("no violation %q %q %q in:\n%v", tc.pointer, tc.keyword, tc.message, err)
		})
	}
}

func TestErrorFormat(t *testing.T) {
	p := "esimfly/2025-01/esim.activated.schema.json"
	err := ValidateJSON(p, []byte(`{"event":"esim.activated","timestamp":"2025-01-16T12:00:00Z",
		"data":{"iccid":"123","package_name":"USA 1GB - 7 Days","activated_at":"2025-01-16T12:00:00Z"}}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	got := err.Error()
	for _, want := range []string{
		`/data/iccid: pattern: does not match "^[0-9]{17,20}$"`,
		`/data: required: missing properties: 'expires_at'`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q lacks line %q", got, want)
		}
	}
	if n := strings.Count(got, "\n") + 1; n != len(ve.Violations) || n != 2 {
		t.Errorf("%d lines, %d violations:\n%s", n, len(ve.Violations), got)
	}
}

func TestValidateJSONErrors(t *testing.T) {
	p := "standard/v1/balance.low.schema.json"
	if err := ValidateJSON(p, []byte(`{`)); err == nil || errors.As(err, new(*ValidationError)) {
		t.Errorf("malformed JSON: err = %v", err)
	}
	if err := ValidateJSON(p, []byte(`{} {}`)); err == nil {
		t.Error("trailing data accepted")
	}
	if err := ValidateJSON("nope/none.schema.json", []byte(`{}`)); err == nil {
		t.Error("unknown schema accepted")
	}
	if _, err := Compile("../schemas/standard/v1/balance.low.schema.json"); err == nil {
		t.Error("path outside the tree accepted")
	}
	if _, err := Compile(BaseURL + p); err != nil {
		t.Errorf("full URL: %v", err)
	}
	ok := `{"type":"balance.low","timestamp":"2025-03-01T09:12:45Z","data":{"balance":42.1,"threshold":50,"currency":"EUR","extra":true},"more":1}`
	if err := ValidateJSON(p, []byte(ok)); err != nil {
		t.Errorf("additional properties must be tolerated: %v", err)
	}
}

func TestValidateGoValues(t *testing.T) {
	p := "standard/v1/esim.usage.schema.json"
	type data struct {
		ICCID      string  `json:"iccid"`
		UsedBytes  int64   `json:"used_bytes"`
		TotalBytes int64   `json:"total_bytes"`
		Percent    float64 `json:"percent"`
	}
	ev := struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      data   `json:"data"`
	}{"esim.usage", "2025-03-01T09:12:45Z", data{"8944500102198304826", 1, 2, 50}}
	if err := Validate(p, ev); err != nil {
		t.Errorf("struct: %v", err)
	}
	ev.Data.ICCID = "x"
	if err := Validate(p, ev); !errors.As(err, new(*ValidationError)) {
		t.Errorf("struct with bad iccid: %v", err)
	}
}

func TestConcurrentCompile(t *testing.T) {
	mu.Lock()
	compiler, compiled = nil, map[string]*jsonschema.Schema{}
	mu.Unlock()
	paths := eventPaths()
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(paths))
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := range paths {
				p := paths[(i+j)%len(paths)]
				s, err := Compile(p)
				if err != nil {
					errs <- err
					continue
				}
				if err := Validate(p, readExample(p)); err != nil {
					errs <- fmt.Errorf("%s: %w", p, err)
				}
				_ = s
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func readExample(p string) any {
	data, _ := FS.ReadFile(p)
	v, _ := decode(data)
	return v.(map[string]any)["examples"].([]any)[0]
}
