package providers

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// fsReader reads a user profile's own schema files.
type fsReader = fs.FS

// ErrNoSchema is returned by Validate for an event whose profile names no
// schema.
var ErrNoSchema = errors.New("the event has no schema")

func (e *Event) bindSchema(dir fsReader) error {
	if e.Schema == "" {
		return nil
	}
	if _, err := schemas.Compile(e.Schema); err == nil {
		e.validate = func(v any) error { return schemas.Validate(e.Schema, v) }
		e.Shipped = true
		return nil
	}
	if dir == nil {
		return fmt.Errorf("schema %q is not a shipped schema", e.Schema)
	}
	data, err := fs.ReadFile(dir, e.Schema)
	if err != nil {
		return fmt.Errorf("schema %q: %v", e.Schema, err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	url := "file:///profile/" + e.Schema
	if err := c.AddResource(url, strings.NewReader(string(data))); err != nil {
		return fmt.Errorf("schema %q: %v", e.Schema, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return fmt.Errorf("schema %q: %v", e.Schema, err)
	}
	e.schemaDoc = data
	e.validate = func(v any) error {
		if err := s.Validate(v); err != nil {
			return schemas.FromJSONSchemaError(e.Schema, err)
		}
		return nil
	}
	return nil
}

// SchemaDocument returns the event's JSON Schema as written: a shipped
// schema (Shipped) from package schemas, a user profile's from its file. It
// returns ErrNoSchema when the profile names none.
func (e *Event) SchemaDocument() ([]byte, error) {
	switch {
	case e.schemaDoc != nil:
		return e.schemaDoc, nil
	case e.Shipped:
		return fs.ReadFile(schemas.FS, e.Schema)
	}
	return nil, ErrNoSchema
}

// Validate checks a payload against the event's JSON Schema; the error (a
// *schemas.ValidationError) names the JSON pointer and rule of each
// violation.
func (e *Event) Validate(p jsonv.Value) error {
	if e.validate == nil {
		return ErrNoSchema
	}
	return e.validate(jsonv.ToAny(p))
}
