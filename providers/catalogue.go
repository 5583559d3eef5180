package providers

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed profiles/*.yaml
var builtinFS embed.FS

// ErrUnknown is wrapped by every lookup error for a provider, variant or
// event that does not exist.
var ErrUnknown = errors.New("unknown")

// UnknownError names what was not found and lists the valid choices.
type UnknownError struct {
	What    string // "provider", "variant of esimfly", "event of esimfly@2025-01"
	Name    string
	Choices []string
}

func (e *UnknownError) Error() string {
	msg := fmt.Sprintf("unknown %s %q (valid: %s)", e.What, e.Name, strings.Join(e.Choices, ", "))
	if near := Nearest(e.Name, e.Choices); near != "" {
		msg += "; did you mean " + near + "?"
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrUnknown) true.
func (e *UnknownError) Unwrap() error { return ErrUnknown }

// Catalogue holds provider profiles by name. The zero value is empty and
// ready to use; a Catalogue is safe for concurrent reads after it is built.
type Catalogue struct {
	mu       sync.RWMutex
	profiles map[string]*Profile
}

var builtin = sync.OnceValues(func() (*Catalogue, error) {
	c := &Catalogue{}
	files, err := fs.Glob(builtinFS, "profiles/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := builtinFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		p, err := Parse("builtin:"+path.Base(f), data, nil)
		if err != nil {
			return nil, err
		}
		if err := c.Add(p); err != nil {
			return nil, err
		}
	}
	return c, nil
})

// Builtin returns a new catalogue holding the shipped profiles. The caller
// may Add to it without affecting other callers.
func Builtin() (*Catalogue, error) {
	b, err := builtin()
	if err != nil {
		return nil, fmt.Errorf("shipped provider profiles: %w", err)
	}
	c := &Catalogue{}
	for _, p := range b.Profiles() {
		if err := c.Add(p); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// MustBuiltin is Builtin for tests and examples; it panics on error, which
// only a broken build can cause (the shipped profiles are tested).
func MustBuiltin() *Catalogue {
	c, err := Builtin()
	if err != nil {
		panic(err)
	}
	return c
}

// Add adds p, replacing a profile of the same name (so a --profile-file can
// override a shipped provider).
func (c *Catalogue) Add(p *Profile) error {
	if p == nil || p.Name == "" {
		return errors.New("providers: Add: profile without a name")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.profiles == nil {
		c.profiles = map[string]*Profile{}
	}
	c.profiles[p.Name] = p
	return nil
}

// Profiles returns every profile, sorted by name.
func (c *Catalogue) Profiles() []*Profile {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Profile, 0, len(c.profiles))
	for _, p := range c.profiles {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Variants returns every variant of every profile, by provider name, each
// profile's in its own order.
func (c *Catalogue) Variants() []*Variant {
	var out []*Variant
	for _, p := range c.Profiles() {
		out = append(out, p.Variants...)
	}
	return out
}

// Defaults returns every profile's default variant, by provider name.
func (c *Catalogue) Defaults() []*Variant {
	var out []*Variant
	for _, p := range c.Profiles() {
		out = append(out, p.Default())
	}
	return out
}

// Names returns the provider names, sorted.
func (c *Catalogue) Names() []string {
	var out []string
	for _, p := range c.Profiles() {
		out = append(out, p.Name)
	}
	return out
}

// Profile returns the named profile or an *UnknownError.
func (c *Catalogue) Profile(name string) (*Profile, error) {
	c.mu.RLock()
	p, ok := c.profiles[name]
	c.mu.RUnlock()
	if !ok {
		return nil, &UnknownError{What: "provider", Name: name, Choices: c.Names()}
	}
	return p, nil
}

// Variant returns a provider's variant; an empty variant name, or a provider
// written "name@variant", selects accordingly (empty means the default).
func (c *Catalogue) Variant(provider, variant string) (*Variant, error) {
	if i := strings.IndexByte(provider, '@'); i >= 0 {
		if variant != "" && variant != provider[i+1:] {
			return nil, fmt.Errorf("provider %q and --variant %q disagree", provider, variant)
		}
		provider, variant = provider[:i], provider[i+1:]
	}
	p, err := c.Profile(provider)
	if err != nil {
		return nil, err
	}
	return p.Variant(variant)
}

// Variant returns the named variant, or the default for "".
func (p *Profile) Variant(name string) (*Variant, error) {
	if name == "" {
		return p.Default(), nil
	}
	var names []string
	for _, v := range p.Variants {
		if v.Name == name {
			return v, nil
		}
		names = append(names, v.Name)
	}
	return nil, &UnknownError{What: "variant of " + p.Name, Name: name, Choices: names}
}

// Default returns the default variant.
func (p *Profile) Default() *Variant {
	for _, v := range p.Variants {
		if v.Default {
			return v
		}
	}
	return p.Variants[0]
}

// ID returns "provider@variant".
func (v *Variant) ID() string { return v.Provider.Name + "@" + v.Name }

// Event returns the named event or an *UnknownError listing the valid ones.
func (v *Variant) Event(name string) (*Event, error) {
	if e, ok := v.byName[name]; ok {
		return e, nil
	}
	var names []string
	for _, e := range v.Events {
		names = append(names, e.Name)
	}
	return nil, &UnknownError{What: "event of " + v.ID(), Name: name, Choices: names}
}

// Public returns the events a trigger or scenario may send by default
// (every event but internal ones such as CHECK_HEALTH and reserved ones
// such as eSIMfly 2026-09's order.completed).
func (v *Variant) Public() []*Event {
	var out []*Event
	for _, e := range v.Events {
		if !e.Internal && e.Reserved == "" {
			out = append(out, e)
		}
	}
	return out
}

// ErrReserved is wrapped by the error of sending a reserved event unforced.
var ErrReserved = errors.New("reserved event")

// CheckSendable returns nil when e may be sent, and otherwise an error
// wrapping ErrReserved that says why the provider does not emit it and how
// to send it anyway (force).
func (e *Event) CheckSendable(force bool) error {
	if e.Reserved == "" || force {
		return nil
	}
	return fmt.Errorf("%w: %s of %s is listed by the provider but not emitted (%s); force it to send it anyway",
		ErrReserved, e.Name, e.Variant.ID(), e.Reserved)
}

// Assumptions returns the variant's assumed facts plus one per assumed event.
func (v *Variant) Assumptions() []Assumption {
	out := append([]Assumption(nil), v.Assumed...)
	for _, e := range v.Events {
		if e.Assumed != "" {
			out = append(out, Assumption{Fact: "event " + e.Name, Note: e.Assumed})
		}
	}
	return out
}
