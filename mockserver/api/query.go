package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// unknownQuery returns a 400 problem naming the query parameters of a GET
// that its operation in openapi/mockserver.yaml does not declare, with the
// declared ones as the choices, or nil. A misspelt parameter (cursor=
// for before=) would otherwise be ignored and answer as if it were not
// there.
func unknownQuery(r *http.Request, route *routers.Route) *Problem {
	if r.Method != http.MethodGet || r.URL.RawQuery == "" {
		return nil
	}
	valid := queryParams(route)
	var unknown []string
	for name := range r.URL.Query() {
		if !slices.Contains(valid, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	accepts := "no query parameters"
	if len(valid) > 0 {
		accepts = "only " + strings.Join(valid, ", ")
	}
	p := problemf(http.StatusBadRequest, problemValidation, "unknown query parameter %s: %s %s accepts %s",
		strings.Join(unknown, ", "), r.Method, route.Path, accepts)
	for _, name := range unknown {
		p.Errors = append(p.Errors, ProblemError{Parameter: name, In: "query", Rule: "unknown",
			Message: "is not a parameter of this operation"})
	}
	p.Choices = valid
	if p.Choices == nil {
		p.Choices = []string{}
	}
	return p
}

// queryParams returns the names of the query parameters route's operation
// (and its path) declares, sorted.
func queryParams(route *routers.Route) []string {
	var names []string
	for _, ps := range [2]openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == "query" && !slices.Contains(names, p.Value.Name) {
				names = append(names, p.Value.Name)
			}
		}
	}
	slices.Sort(names)
	return names
}
