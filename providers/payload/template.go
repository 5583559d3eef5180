package payload

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// ErrTemplate is wrapped by every error about a malformed template.
var ErrTemplate = errors.New("payload: template error")

// TemplateError is a template error at a place in the template.
type TemplateError struct {
	// Path is the JSON pointer of the failing string within the template.
	Path string
	Err  error
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("%v at %s: %v", ErrTemplate, orRoot(e.Path), e.Err)
}

// Unwrap makes errors.Is(err, ErrTemplate) true.
func (e *TemplateError) Unwrap() []error { return []error{ErrTemplate, e.Err} }

// Context is what a template is evaluated against: the World of the order's
// life, the event being generated and its time.
type Context struct {
	World *World
	// Event is the event type's name; it labels the event's random streams.
	Event string
	// Time is the event's own time (World.Start plus the event's offset).
	Time time.Time
	// Attempt is the time of the delivery attempt being made, for header
	// templates ({{attempt_time FORMAT}}); zero outside the delivery engine.
	Attempt time.Time
	// Vars are plain values a template can read with {{var NAME}}; the
	// delivery engine puts delivery_id and attempt_time here for headers.
	Vars map[string]string
	// ASCII asks for ASCII-only generated text (package names folded to
	// ASCII, "Türkiye" as "Turkiye"): Airalo bodies are sent ASCII-only,
	// since non-ASCII text splits its official SDKs (providers.md).
	ASCII bool

	fresh int
}

// Generate evaluates tmpl: every string holding {{…}} placeholders is
// replaced. A string that is exactly one placeholder takes the placeholder's
// type (number, boolean, string); placeholders inside a longer string are
// printed into it. Generate does not modify tmpl.
func Generate(tmpl jsonv.Value, ctx *Context) (jsonv.Value, error) {
	return ctx.eval(tmpl, "")
}

func (c *Context) eval(v jsonv.Value, path string) (jsonv.Value, error) {
	switch t := v.(type) {
	case *jsonv.Object:
		out := jsonv.NewObject()
		for _, k := range t.Keys() {
			child, _ := t.Get(k)
			ev, err := c.eval(child, path+"/"+k)
			if err != nil {
				return nil, err
			}
			out.Set(k, ev)
		}
		return out, nil
	case []jsonv.Value:
		out := make([]jsonv.Value, len(t))
		for i, child := range t {
			ev, err := c.eval(child, path+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	case string:
		r, err := c.String(t)
		if err != nil {
			return nil, &TemplateError{Path: path, Err: err}
		}
		return r, nil
	}
	return v, nil
}

func orRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// String evaluates the placeholders in s. See Generate for typing.
func (c *Context) String(s string) (jsonv.Value, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	if strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}") && strings.Count(s, "{{") == 1 {
		return c.call(s[2 : len(s)-2])
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ in %q", s)
		}
		b.WriteString(rest[:i])
		v, err := c.call(rest[i+2 : i+j])
		if err != nil {
			return nil, err
		}
		b.WriteString(jsonv.Text(v))
		rest = rest[i+j+2:]
	}
	return b.String(), nil
}

func (c *Context) call(expr string) (jsonv.Value, error) {
	args, err := splitArgs(expr)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, errors.New("empty placeholder {{}}")
	}
	f, ok := funcs[args[0]]
	if !ok {
		return nil, fmt.Errorf("unknown function %q (known: %s)", args[0], strings.Join(FuncNames(), ", "))
	}
	if len(args)-1 < f.min || (f.max >= 0 && len(args)-1 > f.max) {
		return nil, fmt.Errorf("{{%s}}: usage: %s", strings.TrimSpace(expr), f.usage)
	}
	v, err := f.fn(c, args[1:])
	if err != nil {
		return nil, fmt.Errorf("{{%s}}: %w", strings.TrimSpace(expr), err)
	}
	return v, nil
}

// splitArgs splits on spaces; "double quoted" arguments may hold spaces.
func splitArgs(s string) ([]string, error) {
	var out []string
	s = strings.TrimSpace(s)
	for s != "" {
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unclosed quote in {{%s}}", s)
			}
			out = append(out, s[1:end+1])
			s = strings.TrimSpace(s[end+2:])
			continue
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = strings.TrimSpace(s[i+1:])
	}
	return out, nil
}

// eventStream returns the random stream for a named value of this event.
func (c *Context) eventStream(name string) *rand.Rand {
	return c.World.stream("event", c.Event, name)
}

// freshStream returns a stream for an unnamed value: the n-th such value in
// the template, so generation stays deterministic.
func (c *Context) freshStream() *rand.Rand {
	c.fresh++
	return c.World.stream("fresh", c.Event, strconv.Itoa(c.fresh))
}

// literal reads a template argument: a JSON number or boolean keeps its
// type, anything else is a string.
func literal(s string) jsonv.Value {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpP_") {
		if v, err := jsonv.Parse([]byte(s)); err == nil {
			return v
		}
	}
	return s
}

// ParseOffset reads a signed duration that may use a "d" (days) unit, such
// as "7d", "-90m" or "1h30m".
func ParseOffset(s string) (time.Duration, error) {
	neg := strings.HasPrefix(s, "-")
	body := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	var days time.Duration
	if i := strings.IndexByte(body, 'd'); i >= 0 {
		n, err := strconv.Atoi(body[:i])
		if err != nil {
			return 0, fmt.Errorf("bad offset %q", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		body = body[i+1:]
	}
	var rest time.Duration
	if body != "" {
		d, err := time.ParseDuration(body)
		if err != nil {
			return 0, fmt.Errorf("bad offset %q", s)
		}
		rest = d
	}
	if neg {
		return -(days + rest), nil
	}
	return days + rest, nil
}
