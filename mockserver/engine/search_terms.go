package engine

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Bounds of SearchTerms: a body yields at most MaxBodyTerms values, each
// at most MaxTermLen bytes (longer values are not indexed).
const (
	MaxBodyTerms = 32
	MaxTermLen   = 128
)

// idKeys are the body fields, lower case without '_' and '-', whose values
// the free-text search indexes: the ids the providers' events carry
// (ICCIDs, orders, transactions, eSIMs, requests).
var idKeys = map[string]bool{
	"iccid": true, "eid": true, "esimid": true, "esimtranno": true,
	"orderid": true, "orderno": true, "ordercode": true, "ordernumber": true,
	"orderreference": true, "referenceid": true, "transactionid": true,
	"requestid": true, "simid": true, "topupid": true, "subscriptionid": true,
}

// SearchTerms returns what DeliveryFilter.Q matches in d, each once: its
// id, event id and wire id, and the values of the body's id-like fields
// (idKeys: iccid, order_id, orderNo, esimTranNo, transactionId, ... at any
// depth) and every string or number of 18 to 22 digits (an ICCID whatever
// its field). A body that is not JSON contributes nothing.
func SearchTerms(d *Delivery) []string {
	terms := make([]string, 0, 8)
	add := func(s string) {
		if s != "" && len(s) <= MaxTermLen && !slices.Contains(terms, s) {
			terms = append(terms, s)
		}
	}
	add(d.ID)
	add(d.EventID)
	add(d.WireID)
	fixed := len(terms)
	if len(d.Body) == 0 || len(d.Body) > MaxBodyScan {
		return terms
	}
	dec := json.NewDecoder(bytes.NewReader(d.Body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return terms
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		if len(terms)-fixed >= MaxBodyTerms {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys) // the same terms, in the same order, every time
			for _, k := range keys {
				walk(k, v[k])
			}
		case []any:
			for _, e := range v {
				walk(key, e)
			}
		case string:
			if idKeys[normKey(key)] || iccidLike(v) {
				add(v)
			}
		case json.Number:
			if idKeys[normKey(key)] || iccidLike(v.String()) {
				add(v.String())
			}
		}
	}
	walk("", v)
	return terms
}

// MaxBodyScan is the largest body SearchTerms reads for ids.
const MaxBodyScan = 256 << 10

// normKey lower-cases k and drops '_' and '-'.
func normKey(k string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, k)
}

// iccidLike reports whether s is 18 to 22 digits.
func iccidLike(s string) bool {
	if len(s) < 18 || len(s) > 22 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
