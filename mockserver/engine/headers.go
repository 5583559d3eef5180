package engine

import (
	"fmt"

	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// checkEndpointHeaders refuses an endpoint's extra header whose value
// could not be sent, as an *Error pointing at it. The names are checked
// before the handler runs, by the API description's pattern.
func checkEndpointHeaders(h map[string]string) error {
	for name, v := range h {
		if !wire.ValidHeaderValue(v) {
			return fieldError("/headers/"+jsonv.EscapePointer(name), "header-value", fmt.Sprintf("headers: the value of %s has a control character (CR, LF, NUL…); it would end the header", name))
		}
	}
	return nil
}
