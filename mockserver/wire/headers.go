package wire

import (
	"fmt"
	"net/http"
	"strings"
)

// validHeaderName reports whether name is an HTTP field name: a token of
// RFC 9110 (letters, digits and !#$%&'*+-.^_`|~).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ValidHeaderValue reports whether v may be sent as a field value: no
// control characters but tab, so no CR or LF that would end the field.
func ValidHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// CheckHeaders returns an error naming the first header of h that cannot
// be sent as it is, or nil. Values are never quoted in the message.
func CheckHeaders(h http.Header) error {
	for name, vs := range h {
		if !validHeaderName(name) {
			return fmt.Errorf("invalid header name %q", name)
		}
		for _, v := range vs {
			if !ValidHeaderValue(v) {
				return fmt.Errorf("header %s has a control character in its value", name)
			}
		}
	}
	return nil
}
