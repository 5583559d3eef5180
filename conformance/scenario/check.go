package scenario

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/esimhooks/esimhooks/internal/yamldoc"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// checker turns a schema-valid file into a Scenario, collecting every
// semantic error with its location.
type checker struct {
	doc  *yamldoc.Doc
	cat  *providers.Catalogue
	errs []string
	seen map[string]int // occurrences of each event so far
}

func (c *checker) fail(ptr, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("%s: %s: %s", c.doc.Where(ptr), ptr, fmt.Sprintf(format, args...)))
}

func (c *checker) scenario(f *file) *Scenario {
	sc := &Scenario{Name: f.Name, Title: f.Title, Description: strings.TrimSpace(f.Description),
		Provider: f.Provider, Seed: f.Seed, Tags: f.Tags}
	v, err := c.cat.Variant(f.Provider, f.Variant)
	if err != nil {
		ptr := "/provider"
		var ue *providers.UnknownError
		if f.Variant != "" && (!errors.As(err, &ue) || ue.What != "provider") {
			ptr = "/variant"
		}
		c.fail(ptr, "%v", err)
		return sc
	}
	sc.Variant, sc.Provider = v, v.Provider.Name
	c.seen = map[string]int{}
	ids := map[string]int{}
	for i := range f.Steps {
		st := c.step(sc, &f.Steps[i], i, ids)
		sc.Steps = append(sc.Steps, st)
		if id := f.Steps[i].ID; id != "" {
			if j, dup := ids[id]; dup {
				c.fail(stepPtr(i)+"/id", "step id %q is already used by step %d", id, j+1)
			}
			ids[id] = i
		}
	}
	if len(c.errs) == 0 {
		c.expect(sc)
	}
	return sc
}

func stepPtr(i int) string { return "/steps/" + strconv.Itoa(i) }

func (c *checker) step(sc *Scenario, fs *fileStep, i int, ids map[string]int) *Step {
	v, ptr := sc.Variant, stepPtr(i)
	st := &Step{ID: fs.ID, Note: strings.TrimSpace(fs.Note), Resend: -1, Duplicates: fs.Duplicates,
		Concurrent: fs.Concurrent, CutAfterBody: fs.CutAfterBody, Ack: fs.Expect.Ack, Applied: fs.ExpectApplied,
		Exercises: fs.Expect.Exercises}
	if fs.Resend != "" {
		j, ok := ids[fs.Resend]
		switch {
		case !ok:
			c.fail(ptr+"/resend", "no earlier step has id %q%s", fs.Resend, idList(ids))
		case fs.At != nil || c.has(ptr+"/set"):
			c.fail(ptr+"/resend", "a redelivery sends the earlier step's exact body: it takes no at or set")
		default:
			st.Resend = j
			if root := sc.Steps[j]; root.Resend >= 0 {
				st.Resend = root.Resend
			}
			st.Event = sc.Steps[st.Resend].Event
			st.At = sc.Steps[st.Resend].At
		}
	} else {
		ev, err := v.Event(fs.Event)
		if err == nil {
			err = ev.CheckSendable(false) // a scenario plays what the provider sends
		}
		if err != nil {
			c.fail(ptr+"/event", "%v", err)
		} else {
			st.Event, st.At = ev, ev.At.D()
			st.occurrence = c.seen[ev.Name]
			c.seen[ev.Name]++
		}
	}
	if fs.At != nil {
		if d, err := payload.ParseOffset(*fs.At); err != nil {
			c.fail(ptr+"/at", "%v", err)
		} else {
			st.At = d
		}
	}
	if fs.Delay != "" {
		d, err := payload.ParseOffset(fs.Delay)
		if err != nil || d < 0 {
			c.fail(ptr+"/delay", "%q is not a duration", fs.Delay)
		}
		st.Delay = d
	}
	if fs.Concurrent && fs.Duplicates == 0 {
		c.fail(ptr+"/concurrent", "concurrent sends the step's copies at once, but the step has no duplicates")
	}
	most := len(v.Retry.Schedule) - 1
	if most < 0 {
		most = 0
	}
	st.Retries = min(most, DefaultRetryCap)
	if fs.Retries != nil {
		if *fs.Retries > most {
			c.fail(ptr+"/retries", "%s retries at most %d times, not %d", v.ID(), most, *fs.Retries)
		}
		st.Retries = *fs.Retries
	}
	if st.Ack == "" {
		st.Ack = v.Ack.Success
	}
	st.Set = c.overrides(ptr + "/set")
	if st.Event != nil && st.Resend < 0 && len(st.Set) > 0 {
		c.trySet(sc, st, ptr)
	}
	return st
}

func (c *checker) has(ptr string) bool {
	_, ok := jsonv.Get(c.doc.Value, mustPath(ptr))
	return ok
}

func idList(ids map[string]int) string {
	if len(ids) == 0 {
		return " (no earlier step has an id)"
	}
	names := make([]string, 0, len(ids))
	for id := range ids {
		names = append(names, id)
	}
	sort.Slice(names, func(a, b int) bool { return ids[names[a]] < ids[names[b]] })
	return " (earlier ids: " + strings.Join(names, ", ") + ")"
}

// overrides reads the set map at ptr, in file order.
func (c *checker) overrides(ptr string) []providers.Override {
	val, ok := jsonv.Get(c.doc.Value, mustPath(ptr))
	obj, isObj := val.(*jsonv.Object)
	if !ok || !isObj {
		return nil
	}
	var out []providers.Override
	for _, k := range obj.Keys() {
		x, _ := obj.Get(k)
		// A string is PATH=TEXT (typed by the value it replaces); a
		// number, boolean or null is already typed: PATH:=JSON.
		raw, sep := "", ":="
		switch t := x.(type) {
		case string:
			raw, sep = t, "="
		case jsonv.Number:
			raw = string(t)
		case bool:
			raw = strconv.FormatBool(t)
		case nil:
			raw = "null"
		}
		o, err := providers.ParseOverride(k + sep + raw)
		if err != nil {
			c.fail(ptr+"/"+jsonv.EscapePointer(k), "%v", err)
			continue
		}
		out = append(out, o)
	}
	return out
}

// trySet generates the step's payload in a trial life and applies its
// overrides, so that a path through a string or a bad placeholder fails
// at load time, at the override's line.
func (c *checker) trySet(sc *Scenario, st *Step, ptr string) {
	w := payload.NewWorld(sc.Seed, payload.Epoch)
	p, err := generate(w, st)
	if err != nil {
		c.fail(ptr+"/event", "%v", err)
		return
	}
	for _, o := range st.Set {
		if _, err := applyOne(w, st, p, o); err != nil {
			c.fail(ptr+"/set/"+jsonv.EscapePointer(o.Path), "%v", err)
		}
	}
}

// expect reads the final expectation and checks its placeholders.
func (c *checker) expect(sc *Scenario) {
	val, ok := jsonv.Get(c.doc.Value, mustPath("/expect/resources"))
	if !ok {
		return
	}
	if s, isStr := val.(string); isStr {
		sc.Expect.Newest = s == "newest"
		for _, st := range sc.Steps {
			if st.Event != nil && len(st.Event.Resources) > 0 {
				return
			}
		}
		c.fail("/expect/resources", "none of the scenario's events changes a resource, so there is no newest status to check")
		return
	}
	obj, _ := val.(*jsonv.Object)
	w := payload.NewWorld(sc.Seed, payload.Epoch)
	for _, k := range obj.Keys() {
		x, _ := obj.Get(k)
		re := ResourceExpect{ID: k}
		if s, isStr := x.(string); isStr {
			re.Status = s
		} else {
			re.Absent = true
		}
		if _, err := resolveID(w, k); err != nil {
			c.fail("/expect/resources/"+jsonv.EscapePointer(k), "%v", err)
		}
		sc.Expect.Resources = append(sc.Expect.Resources, re)
	}
}

// resolveID evaluates the placeholders of a resource id in life w.
func resolveID(w *payload.World, id string) (string, error) {
	v, err := (&payload.Context{World: w, Event: "scenario", Time: w.Start}).String(id)
	if err != nil {
		return "", err
	}
	return jsonv.Text(v), nil
}

// label names the step's event for the payload generator. The first
// occurrence of an event in a scenario is generated as `esimhooks generate`
// does; each later one gets values of its own (a fresh uuid, other picks),
// so that two occurrences are two events, not duplicates.
func (st *Step) label() string {
	l := st.Event.Variant.ID() + "/" + st.Event.Name
	if st.occurrence > 0 {
		l += "#" + strconv.Itoa(st.occurrence+1)
	}
	return l
}

// context is the template context of the step's event in life w.
func (st *Step) context(w *payload.World) *payload.Context {
	return &payload.Context{World: w, Event: st.label(), Time: w.Start.Add(st.At), ASCII: st.Event.Variant.ASCIIText()}
}

// generate fills st's event payload in life w, at the step's own offset.
func generate(w *payload.World, st *Step) (jsonv.Value, error) {
	p, err := payload.Generate(st.Event.Payload, st.context(w))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", st.Event.Variant.ID(), st.Event.Name, err)
	}
	return p, nil
}

// applyOne evaluates o's placeholders in the step's context and applies it.
func applyOne(w *payload.World, st *Step, p jsonv.Value, o providers.Override) (jsonv.Value, error) {
	v, err := st.context(w).String(o.Raw)
	if err != nil {
		return nil, err
	}
	o.Raw = jsonv.Text(v)
	return o.Apply(p)
}
