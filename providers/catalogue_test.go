package providers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// required lists every event issue 2 names, per provider@variant.
var required = map[string][]string{
	"airalo@default":           {"async_order", "async_order_failed", "low_data_75", "low_data_90", "low_data_3days", "low_data_1days", "credit_limit"},
	"esimfly@2025-01":          {"order.created", "order.completed", "order.failed", "esim.activated", "esim.expired", "balance.low", "topup.completed", "topup.failed"},
	"esimfly@2026-04":          {"esim.provisioned", "order.completed"},
	"esimfly@2026-09":          {"esim.installed", "esim.profile.updated", "esim.status.changed", "esim.usage.threshold", "esim.provisioned", "order.completed"},
	"esimaccess@open-api":      {"ORDER_STATUS", "PROFILE_STATUS", "DATA_USAGE"},
	"esimaccess@api-reference": {"CHECK_HEALTH", "ORDER_STATUS", "SMDP_EVENT", "ESIM_STATUS", "DATA_USAGE", "VALIDITY_USAGE"},
	"roamify@overview":         {"esim/esim_usage", "esim/esim_status", "partner/low_balance", "partner/insufficient_balance", "partner/top_up", "affiliate/order"},
	"roamify@per-type":         {"esim/usage", "esim/status", "refund/refunded", "refund/rejected"},
	"simplifytrip@default":     {"PURCHASE_ORDER_SUCCESS", "PHYSICAL_SIM_ORDER_STATUS", "RETURN_REQUEST_STATUS"},
	"standard@v1":              {"order.created", "order.completed", "esim.activated"},
}

func TestCatalogueHoldsEveryDocumentedEvent(t *testing.T) {
	cat := providers.MustBuiltin()
	for id, events := range required {
		v, err := cat.Variant(id, "")
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		for _, name := range events {
			if _, err := v.Event(name); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}
	}
	for _, p := range cat.Profiles() {
		if p.Default() == nil || !p.Default().Default {
			t.Errorf("%s has no default variant", p.Name)
		}
	}
	want := map[string]string{"airalo": "default", "esimfly": "2025-01", "esimaccess": "open-api", "roamify": "overview", "simplifytrip": "default", "standard": "v1"}
	for name, def := range want {
		p, err := cat.Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Default().Name != def {
			t.Errorf("%s default variant = %s, want %s (the seed document's form)", name, p.Default().Name, def)
		}
	}
}

// TestEveryEventValidatesAcrossSeeds generates each event 100 times with
// different seeds and validates it against its JSON Schema.
func TestEveryEventValidatesAcrossSeeds(t *testing.T) {
	cat := providers.MustBuiltin()
	for _, p := range cat.Profiles() {
		for _, v := range p.Variants {
			for _, ev := range v.Events {
				t.Run(v.ID()+"/"+ev.Name, func(t *testing.T) {
					t.Parallel()
					if ev.Schema == "" {
						t.Fatal("no schema")
					}
					for seed := uint64(0); seed < 100; seed++ {
						pl, err := ev.Generate(payload.NewWorld(seed, payload.Epoch.Add(time.Duration(seed)*time.Hour)))
						if err != nil {
							t.Fatal(err)
						}
						if err := ev.Validate(pl); err != nil {
							body, _ := jsonv.EncodeJS(pl)
							t.Fatalf("seed %d: %v\n%s", seed, err, body)
						}
					}
				})
			}
		}
	}
}

func TestUnknownNamesListTheValidChoices(t *testing.T) {
	cat := providers.MustBuiltin()
	_, err := cat.Variant("esimfy", "")
	if err == nil || !strings.Contains(err.Error(), `unknown provider "esimfy" (valid: airalo, esimaccess, esimfly, roamify, simplifytrip, standard)`) {
		t.Errorf("unknown provider: %v", err)
	}
	_, err = cat.Variant("esimfly", "2024")
	if err == nil || !strings.Contains(err.Error(), "2025-01, 2026-04, 2026-09") {
		t.Errorf("unknown variant: %v", err)
	}
	v, _ := cat.Variant("roamify@per-type", "")
	_, err = v.Event("esim/esim_usage")
	if err == nil || !strings.Contains(err.Error(), "esim/usage") {
		t.Errorf("unknown event: %v", err)
	}
}
