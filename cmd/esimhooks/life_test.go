package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/providerapi"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// triggerAPI posts one trigger to a mock server and returns its answer.
func triggerAPI(t *testing.T, base string, req map[string]any) (payload []byte, warnings []string) {
	t.Helper()
	body, _ := json.Marshal(req)
	resp, err := http.Post(base+"/api/triggers", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Body     string `json:"body"`
		Payload  json.RawMessage
		Warnings []string `json:"warnings"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("trigger %s: %d %v", body, resp.StatusCode, err)
	}
	return out.Payload, out.Warnings
}

// mockServer starts an in-process mock server on a loopback port, with the
// providers' registration APIs mounted as serve mounts them.
func mockServer(t *testing.T) string {
	t.Helper()
	st := engine.NewMemoryStore()
	srv, err := mockserver.New(mockserver.Config{Store: st, Catalogue: providers.MustBuiltin(), ProviderAPIs: providerapi.All()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); st.Close() })
	return srv.URL
}

// TestAPITriggersAndTheCLIFollowTheSameLife: for the same seed (and the
// same start, or none), every event of every life the API triggers is the
// payload generate prints, so their event times are the life's (order
// created, completed 15 s later, activated 2 h later), not all "now".
func TestAPITriggersAndTheCLIFollowTheSameLife(t *testing.T) {
	base := mockServer(t)
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for _, p := range providers.MustBuiltin().Profiles() {
		for _, v := range p.Variants {
			times := map[string]time.Time{}
			for _, ev := range v.Public() {
				for _, withStart := range []bool{false, true} {
					req := map[string]any{"provider": p.Name, "variant": v.Name, "event": ev.Name, "seed": 7}
					args := []string{"generate", "--provider", p.Name, "--variant", v.Name, "--event", ev.Name, "--seed", "7"}
					if withStart {
						req["start"] = start.Format(time.RFC3339)
						args = append(args, "--now", start.Format(time.RFC3339))
					}
					api, _ := triggerAPI(t, base, req)
					code, out, errs := cli(t, "", args...)
					if code != 0 {
						t.Fatalf("%v: exit %d: %s", args, code, errs)
					}
					apiP, err := jsonv.Parse(api)
					if err != nil {
						t.Fatal(err)
					}
					cliP, err := jsonv.Parse([]byte(out))
					if err != nil {
						t.Fatal(err)
					}
					a, _ := jsonv.Compact(apiP)
					c, _ := jsonv.Compact(cliP)
					if !bytes.Equal(a, c) {
						t.Errorf("%s %s (start %v): the API's payload\n%s\ndiffers from generate's\n%s", v.ID(), ev.Name, withStart, a, c)
						continue
					}
					at, timed := ev.EventTime(apiP)
					if !timed {
						continue
					}
					life := start
					if !withStart {
						life = payload.Epoch
					}
					if want := life.Add(ev.At.D()); !at.Equal(want) {
						t.Errorf("%s %s: event time %s, want the life's start + %s = %s", v.ID(), ev.Name, at, ev.At, want)
					}
					if !withStart {
						times[ev.Name] = at
					}
				}
			}
			if len(times) > 1 && allEqual(times) && distinctOffsets(v) {
				t.Errorf("%s: every event of the seeded life has one time: %v", v.ID(), times)
			}
		}
	}
}

func allEqual(m map[string]time.Time) bool {
	var first time.Time
	for _, t := range m {
		if first.IsZero() {
			first = t
		} else if !t.Equal(first) {
			return false
		}
	}
	return true
}

func distinctOffsets(v *providers.Variant) bool {
	for _, e := range v.Events {
		if e.At != v.Events[0].At {
			return true
		}
	}
	return false
}
