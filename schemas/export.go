package schemas

// FromJSONSchemaError converts an error returned by a *jsonschema.Schema's
// Validate (for a schema compiled outside this package, such as one a user's
// provider profile names) into a *ValidationError; other errors are wrapped.
func FromJSONSchemaError(schemaPath string, err error) error { return convert(schemaPath, err) }
