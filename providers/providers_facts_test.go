package providers_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// variantFacts is what ../shared/providers.md says about one variant, as
// the profile must carry it. Each field names the items of
// providers-changes.md it pins.
type variantFacts struct {
	events   []string // every event, in the profile's order
	reserved []string // listed by the provider, never emitted (17)
	internal []string // sent by registration only
	// headers: every header an attempt carries, signature included.
	headers []string
	fixed   map[string]string // headers with a fixed value
	sig     string            // scheme hash header prefix message secret
	ack     string            // "deadline success"
	retry   string            // the schedule
	key     string            // the variant's idempotency key
	assumed []string          // facts that must stay marked assumed
	settled []string          // facts that must no longer be marked assumed
	// text the variant's source, description and notes must carry.
	text []string
}

// facts pins providers.md per variant.
var facts = map[string]variantFacts{
	"airalo@default": { // 3, 6, 9, 10
		events:  []string{"async_order", "async_order_failed", "low_data_75", "low_data_90", "low_data_3days", "low_data_1days", "credit_limit"},
		headers: []string{"Content-Type", "Airalo-Signature"},
		sig:     "hmac-hex sha512 airalo-signature  php-json token",
		ack:     "5s 200", retry: "[0s" + strings.Repeat(" 15m", 20) + "]", key: "sha256-body ",
		assumed: []string{"retry.schedule", "ack.deadline", "async_order_failed.shape"},
		text:    []string{"[S1]", "[S2]", "[S3]", "[S5]", "HEAD", "apn {ios, android} and msisdn", "webhook_url"},
	},
	"esimfly@2025-01": { // 11, 12, 13
		events:  []string{"order.created", "order.completed", "order.failed", "esim.activated", "esim.expired", "balance.low", "topup.completed", "topup.failed"},
		headers: []string{"Content-Type", "X-Esimfly-Event", "X-Esimfly-Delivery-Id", "X-Esimfly-Signature"},
		fixed:   map[string]string{"Content-Type": "application/json"},
		sig:     "hmac-hex sha256 X-eSIMfly-Signature  js-stringify hex32",
		ack:     "5s 2xx", retry: "[0s 5s 30s 2m 10m 1h]", key: "header X-eSIMfly-Delivery-ID",
		assumed: []string{"idempotency.key"},
		text:    []string{"555da98", "2025-11-16", "95abd99", "never", "2026-09 for new integrations", "event.type", "e-mail", "normal behavior"},
	},
	"esimfly@2026-04": { // 14, 15, 16, 17, 19
		events:  []string{"esim.provisioned", "order.completed"},
		headers: []string{"Content-Type", "User-Agent", "X-Webhook-Event", "X-Webhook-Id", "X-Webhook-Timestamp", "X-Webhook-Signature"},
		fixed:   map[string]string{"Content-Type": "application/json", "User-Agent": "eSIMfly-Webhook/1.0"},
		sig:     "hmac-hex sha256 X-Webhook-Signature sha256= raw whsec",
		ack:     "10s 2xx", retry: "[0s 10s 30s 2m 10m]", key: "header X-Webhook-Id",
		assumed: []string{"headers.X-Webhook-Timestamp", "resources", "event order.completed"},
		settled: []string{"idempotency.key"},
		text:    []string{"e74fb74", "X-Webhook-Id or order_reference", "callbackUrl", "pending_details", "test-receiver"},
	},
	"esimfly@2026-09": { // 17, 18, 19
		events:   []string{"esim.provisioned", "esim.installed", "esim.profile.updated", "esim.status.changed", "esim.usage.threshold", "order.completed"},
		reserved: []string{"order.completed"},
		headers:  []string{"Content-Type", "User-Agent", "X-Webhook-Event", "X-Webhook-Id", "X-Webhook-Timestamp", "X-Webhook-Signature"},
		fixed:    map[string]string{"Content-Type": "application/json", "User-Agent": "eSIMfly-Webhook/1.0"},
		sig:      "hmac-hex sha256 X-Webhook-Signature sha256= raw whsec",
		ack:      "10s 2xx", retry: "[0s 10s 30s 2m 10m]", key: "header X-Webhook-Id",
		assumed: []string{"resources", "data.source", "event esim.provisioned"},
		text:    []string{"03e36be", "[S8]", "time the event was created", "as it is", "once per transition", "rotates it", "RT-Signature", "callbackUrl is no longer mentioned", "up to 30 min"},
	},
	"esimaccess@open-api": { // 2, 20
		events:  []string{"ORDER_STATUS", "PROFILE_STATUS", "DATA_USAGE"},
		headers: []string{"Content-Type"},
		sig:     "none     ",
		ack:     "5s 2xx", retry: "[0s 1m 5m 30m]", key: "sha256-body ",
		assumed: []string{"retry.schedule"},
		text:    []string{"b2b.hiroaming.com", "[S20]", "not eSIM Access's own reference", "Verify source"},
	},
	"esimaccess@api-reference": { // 21, 22, 23, 24
		events:   []string{"CHECK_HEALTH", "ORDER_STATUS", "SMDP_EVENT", "ESIM_STATUS", "DATA_USAGE", "VALIDITY_USAGE"},
		internal: []string{"CHECK_HEALTH"},
		headers:  []string{"Content-Type"},
		sig:      "none     ",
		ack:      "5s 2xx", retry: "[0s 1m 5m 30m]", key: "sha256-body ",
		assumed: []string{"retry.schedule", "idempotency.key", "DATA_USAGE.trigger", "SMDP_EVENT.resource"},
		text:    []string{"[S21]", "100Mb or less", "e-mails, not webhooks", "not re-verified"},
	},
	"roamify@overview": { // 25, 26, 27, 28, 29
		events:  []string{"esim/esim_usage", "esim/esim_status", "partner/low_balance", "partner/insufficient_balance", "partner/top_up", "affiliate/order"},
		headers: []string{"Content-Type", "X-Roamify-Signature"},
		sig:     "hmac-hex sha256 X-Roamify-Signature  raw hex32",
		ack:     "3s 2xx", retry: "[0s 1m 5m 15m]", key: "sha256-body ",
		assumed: []string{"retry.schedule"},
		text: []string{"5df77df", "2 s in the repository", "ee3e7c0", "105b136", `{"code":200,"message":"success"}`, `{"code":200,"status":"success"}`,
			`voice_units "minutes"`, "ISO 4217", "75 %, 50 % and 25 %", "dashboard"},
	},
	"roamify@per-type": { // 30, 31, 32
		events: []string{"esim/usage", "esim/status", "partner/low_balance", "partner/insufficient_balance", "partner/top_up", "affiliate/order",
			"refund/refunded", "refund/rejected"},
		headers: []string{"Content-Type", "X-Roamify-Signature"},
		sig:     "hmac-hex sha256 X-Roamify-Signature  raw hex32",
		ack:     "3s 2xx", retry: "[0s 1m 5m 15m]", key: "sha256-body ",
		assumed: []string{"retry.schedule", "refund.timestamp", "refund.iccid"},
		text:    []string{"[S10]", "types/refund"},
	},
	"simplifytrip@default": { // 33, 34, 35, 36, 37
		events:  []string{"PURCHASE_ORDER_SUCCESS", "PHYSICAL_SIM_ORDER_STATUS", "RETURN_REQUEST_STATUS"},
		headers: []string{"Content-Type", "X-Simplify-Trip-Signature"},
		sig:     "hmac-hex sha256 X-Simplify-Trip-Signature  flatten-sorted ck_test",
		ack:     "5s 2xx", retry: "[0s 5m 5m 5m]", key: "body /id",
		assumed: []string{"signature.canonical_form", "ack.deadline", "signature.live_key", "event.names"},
		text:    []string{"[S11]", "X-Signature", "required field of each API key", "webhook-id", "412e915d"},
	},
}

// TestCatalogueMatchesProviders fails when a profile drifts from
// providers.md: events, reserved and internal events, header names and
// fixed values, signature, deadline, retries, idempotency key, assumption
// markers and cited sources.
func TestCatalogueMatchesProviders(t *testing.T) {
	cat := providers.MustBuiltin()
	var ids []string
	for _, p := range cat.Profiles() {
		for _, v := range p.Variants {
			if p.Name != "standard" {
				ids = append(ids, v.ID())
			}
		}
	}
	slices.Sort(ids)
	var want []string
	for id := range facts {
		want = append(want, id)
	}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("provider variants %v, providers.md documents %v", ids, want)
	}
	for id, f := range facts {
		t.Run(id, func(t *testing.T) {
			v, err := cat.Variant(id, "")
			if err != nil {
				t.Fatal(err)
			}
			var events, reserved, internal []string
			for _, e := range v.Events {
				events = append(events, e.Name)
				if e.Reserved != "" {
					reserved = append(reserved, e.Name)
				}
				if e.Internal {
					internal = append(internal, e.Name)
				}
			}
			eq := func(what string, got, want any) {
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s = %v, providers.md says %v", what, got, want)
				}
			}
			eq("events", events, f.events)
			eq("reserved events", reserved, f.reserved)
			eq("internal events", internal, f.internal)
			s := v.Signature
			eq("signature", strings.Join([]string{s.Scheme, s.Hash, s.Header, s.Prefix, s.Message, s.SecretFormat}, " "), f.sig)
			eq("ack", v.Ack.Deadline.String()+" "+v.Ack.Success, f.ack)
			var sched []string
			for _, d := range v.Retry.Schedule {
				sched = append(sched, d.String())
			}
			eq("retry schedule", "["+strings.Join(sched, " ")+"]", f.retry)
			eq("idempotency key", v.Idempotency.From+" "+v.Idempotency.Name, f.key)
			var assumed []string
			for _, a := range v.Assumptions() {
				assumed = append(assumed, a.Fact)
			}
			for _, a := range f.assumed {
				if !slices.Contains(assumed, a) {
					t.Errorf("%s is not marked assumed (assumed: %v)", a, assumed)
				}
			}
			for _, a := range f.settled {
				if slices.Contains(assumed, a) {
					t.Errorf("%s is still marked assumed, but providers.md documents it", a)
				}
			}
			var text strings.Builder
			text.WriteString(v.Source + "\n" + v.Description + "\n" + v.Provider.Description + "\n" + strings.Join(v.Notes, "\n"))
			for _, a := range v.Assumptions() {
				text.WriteString("\n" + a.Note)
			}
			for _, w := range f.text {
				if !strings.Contains(text.String(), w) {
					t.Errorf("the profile's source, notes and assumptions do not say %q", w)
				}
			}
			// Headers of real attempts, for every event that is sent.
			for _, ev := range v.Events {
				_, h, _ := delivery(t, id, ev.Name, 3)
				var names []string
				for k := range h {
					names = append(names, k)
				}
				wantNames := append([]string(nil), f.headers...)
				slices.Sort(names)
				slices.Sort(wantNames)
				eq(ev.Name+" headers", names, wantNames)
				for k, val := range f.fixed {
					eq(ev.Name+" "+k, h.Get(k), val)
				}
			}
		})
	}
}

// gen generates event of provider@variant for seed, in a life starting
// seed hours after the epoch.
func gen(t *testing.T, id, event string, seed uint64) jsonv.Value {
	t.Helper()
	_, _, p := generate(t, id, event, seed, payload.Epoch.Add(time.Duration(seed)*time.Hour))
	return p
}

// generate returns provider@variant, its event and a payload of it for seed
// in a life starting at start.
func generate(t *testing.T, id, event string, seed uint64, start time.Time) (*providers.Variant, *providers.Event, jsonv.Value) {
	t.Helper()
	v, err := providers.MustBuiltin().Variant(id, "")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := v.Event(event)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ev.Generate(payload.NewWorld(seed, start))
	if err != nil {
		t.Fatal(err)
	}
	return v, ev, p
}

// at returns the value at JSON pointer ptr of p, as its JSON text.
func at(t *testing.T, p jsonv.Value, ptr string) (jsonv.Value, bool) {
	t.Helper()
	path, err := jsonv.ParsePath(ptr)
	if err != nil {
		t.Fatal(err)
	}
	return jsonv.Get(p, path)
}

// valueFact is one documented value of a generated payload: at ptr, a
// value matching re (its JSON text: strings quoted, numbers bare).
type valueFact struct {
	id, event, ptr string
	re             string
	item           string // providers-changes.md item
}

var valueFacts = []valueFact{
	// eSIMfly 2026-09: envelope and common data fields (17).
	{"esimfly@2026-09", "*", "/timestamp", `^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$`, "17"},
	{"esimfly@2026-09", "*", "/data/iccid", `^"\d{19,20}"$`, "17"},
	{"esimfly@2026-09", "*", "/data/esim_id", `^\d+$`, "17"},
	{"esimfly@2026-09", "*", "/data/package_code", `^"\d+"$`, "17"},
	{"esimfly@2026-09", "*", "/data/order_reference", `^"order_\d{13}_[a-z0-9]{5}"$`, "17"},
	{"esimfly@2026-09", "esim.usage.threshold", "/data/source", `^"usage_threshold"$`, "17"},
	{"esimfly@2026-09", "esim.usage.threshold", "/data/threshold_remaining_mb", `^(500|200|100|50)$`, "17"},
	{"esimfly@2026-09", "esim.installed", "/data/eid", `^"\d{32}"$`, "17"},
	{"esimfly@2026-09", "esim.installed", "/data/imsi", `^"\d{15}"$`, "17"},
	{"esimfly@2026-09", "esim.profile.updated", "/data/profile_status", `^"(BPP installation|Enable|Disable|Delete)"$`, "17"},
	{"esimfly@2026-09", "esim.profile.updated", "/data/profile", `^"(Enabled|Disabled|Not Installed)"$`, "17"},
	{"esimfly@2026-09", "esim.status.changed", "/data/old_status", `^"NEW"$`, "17"},
	{"esimfly@2026-09", "esim.status.changed", "/data/new_status", `^"(ACTIVE|DEPLETED|EXPIRED|CANCELLED)"$`, "17"},
	{"esimfly@2026-09", "esim.provisioned", "/data/qr_code_url", `^"data:image/png;base64,`, "17"},
	{"esimfly@2026-04", "esim.provisioned", "/data/order_reference", `^"order_\d{13}_[a-z0-9]{5}"$`, "15"},
	// Airalo (3, 9).
	{"airalo@default", "async_order", "/data/sims/0/apn/ios/apn_type", `^"automatic"$`, "9"},
	{"airalo@default", "async_order", "/data/sims/0/apn/android/apn_type", `^"automatic"$`, "9"},
	{"airalo@default", "async_order", "/data/sims/0/msisdn", `^null$`, "9"},
	{"airalo@default", "low_data_1days", "/level", `^"1days"$`, "3"},
	{"airalo@default", "low_data_3days", "/level", `^"3days"$`, "3"},
	{"airalo@default", "low_data_75", "/level", `^"75%"$`, "3"},
	{"airalo@default", "low_data_90", "/level", `^"90%"$`, "3"},
	// eSIM Access api-reference (21).
	{"esimaccess@api-reference", "ORDER_STATUS", "/content/transactionId", `^"`, "21"},
	{"esimaccess@api-reference", "ORDER_STATUS", "/content/orderStatus", `^"GOT_RESOURCE"$`, "21"},
	{"esimaccess@api-reference", "ESIM_STATUS", "/content/smdpStatus", `^"(INSTALLATION|ENABLED|DISABLED|DELETED)"$`, "21"},
	{"esimaccess@api-reference", "VALIDITY_USAGE", "/content/remain", `^1$`, "21"},
	{"esimaccess@api-reference", "DATA_USAGE", "/content/remainThreshold", `^0\.(5|2|1)$`, "22"},
	// Roamify (26, 31).
	{"roamify@overview", "esim/esim_usage", "/data/voice_units", `^"minutes"$`, "26"},
	{"roamify@overview", "esim/esim_usage", "/data/sms_units", `^"sms"$`, "26"},
	{"roamify@overview", "esim/esim_usage", "/data/data_units", `^"MB"$`, "26"},
	{"roamify@overview", "esim/esim_usage", "/data/usage_list/0/date", `^"\d{4}-\d\d-\d\d"$`, "26"},
	{"roamify@overview", "partner/low_balance", "/data/currency", `^"[A-Z]{3}"$`, "26"},
	{"roamify@overview", "partner/low_balance", "/data/threshold_percentage", `^(75|50|25)$`, "27"},
	{"roamify@overview", "affiliate/order", "/data/commission_rate", `^([1-9]\d?|100)(\.\d+)?$`, "26"},
	{"roamify@per-type", "esim/usage", "/data/voice_units", `^"minutes"$`, "26"},
	{"roamify@per-type", "refund/refunded", "/data/status", `^"REFUNDED"$`, "31"},
	{"roamify@per-type", "refund/rejected", "/data/status", `^"REJECTED"$`, "31"},
	{"roamify@per-type", "refund/refunded", "/data/product_type", `^"esim"$`, "31"},
	{"roamify@per-type", "refund/refunded", "/event_id", `^"rfd_\d+_refunded"$`, "31"},
	{"roamify@per-type", "refund/rejected", "/event_id", `^"rfd_\d+_rejected"$`, "31"},
	// SimplifyTrip (34).
	{"simplifytrip@default", "*", "/id", `^"[0-9a-f]{25}"$`, "34"},
	{"simplifytrip@default", "*", "/createdAt", `^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$`, "34"},
	{"simplifytrip@default", "PURCHASE_ORDER_SUCCESS", "/data/status", `^"SUCCESS"$`, "34"},
	{"simplifytrip@default", "PURCHASE_ORDER_SUCCESS", "/data/items/0/status", `^"SUCCESS"$`, "34"},
}

// TestGeneratedValuesMatchProviders checks the documented values, formats
// and enumerations of generated payloads over many seeds.
func TestGeneratedValuesMatchProviders(t *testing.T) {
	cat := providers.MustBuiltin()
	for _, f := range valueFacts {
		re := regexp.MustCompile(f.re)
		v, err := cat.Variant(f.id, "")
		if err != nil {
			t.Fatal(err)
		}
		events := []string{f.event}
		if f.event == "*" {
			events = nil
			for _, e := range v.Public() {
				events = append(events, e.Name)
			}
		}
		for _, event := range events {
			for seed := uint64(0); seed < 30; seed++ {
				p := gen(t, f.id, event, seed)
				val, ok := at(t, p, f.ptr)
				if !ok {
					t.Errorf("item %s: %s %s seed %d has no %s", f.item, f.id, event, seed, f.ptr)
					break
				}
				text, _ := jsonv.Compact(val)
				if !re.Match(text) {
					t.Errorf("item %s: %s %s seed %d %s = %s, want %s", f.item, f.id, event, seed, f.ptr, text, f.re)
					break
				}
			}
		}
	}
	// Parallel picks stay consistent: 100 MB left of 5 GB is 0.1 GB, 98 %.
	for seed := uint64(0); seed < 30; seed++ {
		p := gen(t, "esimfly@2026-09", "esim.usage.threshold", seed)
		mb, _ := at(t, p, "/data/threshold_remaining_mb")
		gb, _ := at(t, p, "/data/remaining_gb")
		if fmt.Sprint(mb) != map[string]string{"0.5": "500", "0.2": "200", "0.1": "100", "0.05": "50"}[fmt.Sprint(gb)] {
			t.Errorf("seed %d: threshold %v MB but remaining %v GB", seed, mb, gb)
		}
	}
}

// TestProbeRowsMatchProviders pins the probe table of providers.md
// ("What the conformance probe reports, per event"): which resource each
// event moves to which status, and its idempotency key (19, 24, 32).
func TestProbeRowsMatchProviders(t *testing.T) {
	rows := map[string]string{
		"esimfly@2026-04/esim.provisioned":            "/data/iccid→=provisioned",
		"esimfly@2026-09/esim.installed":              "/data/iccid→=installed",
		"esimfly@2026-09/esim.status.changed":         "/data/iccid→/data/new_status",
		"esimfly@2026-09/esim.profile.updated":        "",
		"esimfly@2026-09/esim.usage.threshold":        "",
		"esimfly@2026-09/esim.provisioned":            "/data/iccid→=provisioned",
		"esimfly@2026-09/order.completed":             "",
		"roamify@per-type/refund/refunded":            "/data/refund_id→/data/status",
		"roamify@per-type/refund/rejected":            "/data/refund_id→/data/status",
		"roamify@per-type/esim/status":                "/data/iccid→/data/status",
		"esimaccess@api-reference/ORDER_STATUS":       "/content/orderNo→/content/orderStatus",
		"esimaccess@api-reference/SMDP_EVENT":         "/content/iccid→/content/smdpStatus",
		"esimaccess@api-reference/ESIM_STATUS":        "/content/iccid→/content/esimStatus",
		"esimaccess@api-reference/DATA_USAGE":         "",
		"esimaccess@api-reference/VALIDITY_USAGE":     "",
		"simplifytrip@default/PURCHASE_ORDER_SUCCESS": "/data/orderId→/data/status",
	}
	keys := map[string]string{
		"roamify@per-type/refund/refunded":            "body /event_id",
		"roamify@per-type/refund/rejected":            "body /event_id",
		"roamify@per-type/esim/status":                "sha256-body ",
		"esimfly@2026-09/esim.installed":              "header X-Webhook-Id",
		"simplifytrip@default/PURCHASE_ORDER_SUCCESS": "body /id",
	}
	cat := providers.MustBuiltin()
	for row, want := range rows {
		id, event, _ := strings.Cut(row, "/")
		v, err := cat.Variant(id, "")
		if err != nil {
			t.Fatal(err)
		}
		ev, err := v.Event(event)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range ev.Resources {
			got = append(got, r.ID+"→"+r.Status)
		}
		if strings.Join(got, "; ") != want {
			t.Errorf("%s resources %v, providers.md says %q", row, got, want)
		}
		if k, ok := keys[row]; ok {
			ks := v.KeySpec(ev)
			if ks.From+" "+ks.Name != k {
				t.Errorf("%s key %s %s, providers.md says %s", row, ks.From, ks.Name, k)
			}
		}
	}
}
