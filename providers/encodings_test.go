package providers_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// TestEncodingsMatchTheSchemas: the encodings EncodeAs knows are exactly
// those the profile schema and the control API's trigger accept.
func TestEncodingsMatchTheSchemas(t *testing.T) {
	for file, re := range map[string]*regexp.Regexp{
		"../schemas/profile.schema.json": regexp.MustCompile(`"encoding": \{"enum": \[([^\]]*)\]`),
		"../openapi/mockserver.yaml":     regexp.MustCompile(`(?s)BodyEncoding:\s*type: string.*?enum: \[([^\]]*)\]`),
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindSubmatch(data)
		if m == nil {
			t.Fatalf("%s: no encoding enum", file)
		}
		var got []string
		for _, s := range strings.Split(string(m[1]), ",") {
			got = append(got, strings.Trim(strings.TrimSpace(s), `"`))
		}
		if !slices.Equal(got, providers.Encodings) {
			t.Errorf("%s lists %v, EncodeAs knows %v", file, got, providers.Encodings)
		}
	}
	for _, enc := range providers.Encodings {
		if _, err := providers.EncodeAs(enc, jsonv.NewObject()); err != nil {
			t.Errorf("%s: %v", enc, err)
		}
	}
	if _, err := providers.EncodeAs("utf16", jsonv.NewObject()); err == nil || !strings.Contains(err.Error(), "want js, php, php-utf8, compact") {
		t.Errorf("unknown encoding: %v", err)
	}
}
