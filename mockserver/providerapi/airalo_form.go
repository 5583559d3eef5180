package providerapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// airaloForm is a request's fields, from JSON or form data.
type airaloForm map[string]any

// readForm parses the body as JSON or form data, or answers 413/422.
func (m *airaloMock) readForm(w http.ResponseWriter, r *http.Request) (airaloForm, bool) {
	body, tooLarge, err := readBody(w, r, m.h.MaxBodyBytes())
	if tooLarge {
		airaloMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return nil, false
	}
	if err != nil {
		airaloMessage(w, http.StatusBadRequest, "the request body could not be read")
		return nil, false
	}
	f := airaloForm{}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			airaloInvalid(w, map[string]string{"body": "The request body is not valid form data."})
			return nil, false
		}
		f.addValues(vals)
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		form, err := mr.ReadForm(m.h.MaxBodyBytes())
		if err != nil {
			airaloInvalid(w, map[string]string{"body": "The request body is not valid multipart form data."})
			return nil, false
		}
		defer form.RemoveAll()
		f.addValues(form.Value)
	default:
		if len(strings.TrimSpace(string(body))) == 0 {
			return f, true
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			airaloInvalid(w, map[string]string{"body": "The request body must be a JSON object."})
			return nil, false
		}
		f = obj
	}
	return f, true
}

func (f airaloForm) addValues(vals map[string][]string) {
	for k, vs := range vals {
		k = strings.TrimSuffix(k, "[]")
		if len(vs) == 1 && k != "levels" {
			f[k] = vs[0]
			continue
		}
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		f[k] = append(asList(f[k]), list...)
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// str returns a field as a string (numbers as written); "" when absent.
func (f airaloForm) str(key string) string {
	switch v := f[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// present reports whether the field was sent with a non-empty value.
func (f airaloForm) present(key string) bool {
	v, ok := f[key]
	return ok && v != nil && f.str(key) != "" || ok && len(asList(v)) > 0
}

// levels reads the credit-limit levels, or says what is wrong with them.
func (f airaloForm) levels() ([]int, string) {
	raw, ok := f["levels"]
	if !ok || raw == nil {
		return nil, ""
	}
	list, isList := raw.([]any)
	if !isList {
		return nil, "The levels must be an array."
	}
	var out []int
	for i, item := range list {
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(item)))
		if err != nil || !slices.Contains(airaloCreditLevels, n) {
			return nil, fmt.Sprintf("The selected levels.%d is invalid.", i)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, ""
}
