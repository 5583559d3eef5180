package providers

import (
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// Effect is a resource's status after an event, as the conformance probe
// reports it.
type Effect struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// Effects returns the resources event e moves to which status, read from
// payload p per the profile's resource rules.
func (e *Event) Effects(p jsonv.Value) []Effect {
	var out []Effect
	for _, r := range e.Resources {
		idPath, _ := jsonv.ParsePath(r.ID)
		var ids, statuses []string
		jsonv.Walk(p, idPath, func(_ []string, v jsonv.Value) { ids = append(ids, jsonv.Text(v)) })
		if lit, ok := strings.CutPrefix(r.Status, "="); ok {
			for _, id := range ids {
				out = append(out, Effect{id, lit})
			}
			continue
		}
		stPath, _ := jsonv.ParsePath(r.Status)
		jsonv.Walk(p, stPath, func(_ []string, v jsonv.Value) { statuses = append(statuses, jsonv.Text(v)) })
		for i := range ids {
			if i < len(statuses) {
				out = append(out, Effect{ids[i], statuses[i]})
			}
		}
	}
	return out
}

// EventTime returns the event's own time from payload p, if the profile
// names where it is.
func (e *Event) EventTime(p jsonv.Value) (time.Time, bool) {
	if e.Time == "" {
		return time.Time{}, false
	}
	path, err := jsonv.ParsePath(e.Time)
	if err != nil {
		return time.Time{}, false
	}
	v, ok := jsonv.Get(p, path)
	if !ok {
		return time.Time{}, false
	}
	t, err := payload.ParseTime(v)
	return t, err == nil
}
