package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestTriggerOverridesAreExactJSON: object overrides are JSON set exactly
// (a string stays a string, a number keeps its digits), list overrides
// follow --set, paths the payload lacks come back as warnings, and a
// number the provider's encoding would change is refused.
func TestTriggerOverridesAreExactJSON(t *testing.T) {
	s := newTestServer(t)
	trigger := func(overrides string) (int, triggerResultView, []byte) {
		t.Helper()
		code, _, data := call(t, "POST", s.URL+"/api/triggers",
			`{"provider":"esimfly","event":"order.completed","seed":7,"overrides":`+overrides+`}`)
		var res triggerResultView
		if code == http.StatusAccepted {
			if err := json.Unmarshal(data, &res); err != nil {
				t.Fatal(err)
			}
		}
		return code, res, data
	}
	code, res, data := trigger(`{"data.iccid":"8944500000000000017","data.big":9007199254740991,"data.ratio":5.50,"data.none":null,"data.esims.0.iccd":"x","data.esims.0.status":"ready"}`)
	wantStatus(t, code, http.StatusAccepted, data)
	for _, want := range []string{`"iccid":"8944500000000000017"`, `"big":9007199254740991`, `"ratio":5.5`, `"none":null`, `"status":"ready"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("body lacks %s: %s", want, res.Body)
		}
	}
	warns := strings.Join(res.Warnings, "\n")
	for _, want := range []string{"the payload has no data.iccid", "the payload has no data.big", "the payload has no data.esims.0.iccd (did you mean data.esims.0.iccid?)"} {
		if !strings.Contains(warns, want) {
			t.Errorf("warnings lack %q:\n%s", want, warns)
		}
	}
	if strings.Contains(warns, "the payload has no data.esims.0.status") || len(res.Warnings) != 6 ||
		!strings.Contains(res.Warnings[5], `/data/esims/0/status: const: must be "new"`) {
		t.Errorf("warnings %q: want one per missing path, then the schema's", res.Warnings)
	}

	code, res, data = trigger(`["data.esims.0.iccid=8944500000000000018","data.count:=5","data.text=5"]`)
	wantStatus(t, code, http.StatusAccepted, data)
	for _, want := range []string{`"iccid":"8944500000000000018"`, `"count":5`, `"text":"5"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("body lacks %s: %s", want, res.Body)
		}
	}

	code, res, data = trigger(`{"data.esims.0.iccid":"8944500000000000014"}`)
	wantStatus(t, code, http.StatusAccepted, data)
	if len(res.Warnings) != 0 || strings.Contains(string(data), `"warnings"`) {
		t.Errorf("warnings for an existing path: %s", data)
	}
	code, res, data = trigger(`{"data.esims.0.iccid":"12"}`)
	wantStatus(t, code, http.StatusAccepted, data)
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "no longer matches the event's schema") || !strings.Contains(res.Warnings[0], "/data/esims/0/iccid") {
		t.Errorf("a schema violation: warnings %q", res.Warnings)
	}

	for _, bad := range []string{`{"data.n":8944500000000000017}`, `["data.n:=8944500000000000017"]`} {
		code, _, data = trigger(bad)
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
		if !strings.Contains(string(data), "would be sent as 8944500000000000000") {
			t.Errorf("%s: problem %s", bad, data)
		}
	}
	code, _, data = trigger(`["data.esims.0.iccid:=x"]`)
	wantStatus(t, code, http.StatusBadRequest, data)
	if !strings.Contains(string(data), "/overrides/0") || !strings.Contains(string(data), "a string needs quotes") {
		t.Errorf("problem %s", data)
	}
}
