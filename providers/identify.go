package providers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// ErrUnidentified is returned by Identify for a request that is not one of
// the variant's events (a receiver should still acknowledge it: new event
// types appear without notice).
var ErrUnidentified = errors.New("not a known event of this variant")

// Identify tells which event of the variant a request is, the way a receiver
// would: by the variant's discriminator (a body field or header), or, for
// providers whose bodies carry no type (Airalo), by the first event schema
// the body satisfies. It returns the parsed body too. A body that is not
// JSON gives a jsonv syntax error.
func (v *Variant) Identify(h http.Header, body []byte) (*Event, jsonv.Value, error) {
	p, err := jsonv.Parse(body)
	if err != nil {
		return nil, nil, err
	}
	if len(v.Discriminator) > 0 {
		name, ok := v.discriminate(h, p)
		if !ok {
			return nil, p, fmt.Errorf("%w: no event type at %s", ErrUnidentified, strings.Join(v.Discriminator, " + "))
		}
		if e, ok := v.byName[name]; ok {
			return e, p, nil
		}
		return nil, p, fmt.Errorf("%w: event type %q", ErrUnidentified, name)
	}
	for _, e := range v.Events {
		if e.validate != nil && e.Validate(p) == nil {
			return e, p, nil
		}
	}
	return nil, p, fmt.Errorf("%w: the body matches no event schema", ErrUnidentified)
}

func (v *Variant) discriminate(h http.Header, p jsonv.Value) (string, bool) {
	parts := make([]string, 0, len(v.Discriminator))
	for _, d := range v.Discriminator {
		if name, ok := strings.CutPrefix(d, "header:"); ok {
			s := h.Get(name)
			if s == "" {
				return "", false
			}
			parts = append(parts, s)
			continue
		}
		path, err := jsonv.ParsePath(d)
		if err != nil {
			return "", false
		}
		val, ok := jsonv.Get(p, path)
		s, isStr := val.(string)
		if !ok || !isStr {
			return "", false
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "/"), true
}
