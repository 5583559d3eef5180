package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/openapi"
	"github.com/esimhooks/esimhooks/providers"
)

func TestGenWritesOneLoadableDocumentPerProfile(t *testing.T) {
	out := t.TempDir()
	if err := run([]string{"-out", out}); err != nil {
		t.Fatal(err)
	}
	for _, name := range providers.MustBuiltin().Names() {
		data, err := os.ReadFile(filepath.Join(out, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := openapi.LoadData(context.Background(), name+".yaml", data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-profile-file", filepath.Join(out, "missing.yaml"), "-out", out}, "-profile-file " + filepath.Join(out, "missing.yaml")},
		{[]string{"-out", out, "extra"}, `unexpected argument "extra"`},
	} {
		if err := run(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
}
