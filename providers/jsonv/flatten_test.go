package jsonv

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestFlattenBody(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{`{}`, ``},
		{`{"b":2,"a":1}`, `a=1&b=2`},
		{`{"data":{"iccid":"8944","status":"active"},"event":"esim.activated"}`,
			`data_iccid=8944&data_status=active&event=esim.activated`},
		{`{"items":[{"sku":"A","qty":2},{"sku":"B","qty":1}]}`,
			`items_0_qty=2&items_0_sku=A&items_1_qty=1&items_1_sku=B`},
		{`{"price":5.50,"big":1e21,"small":1e-7,"neg":-0,"int":8944000000000000001}`,
			`big=1e+21&int=8944000000000000000&neg=0&price=5.5&small=1e-7`},
		{`{"t":true,"f":false,"n":null}`, `f=false&n=&t=true`},
		{`{"empty":{},"list":[],"deep":{"x":{}},"keep":1}`, `keep=1`},
		{`{"s":"a b&c=d/é\"\n"}`, "s=a b&c=d/é\"\n"},
		{`{"B":1,"a":2,"_":3,"a_b":4,"ab":5}`, `B=1&_=3&a=2&a_b=4&ab=5`},
		{`{"é":1,"z":2,"😀":3,"\uffff":4}`, "z=2&é=1&\uffff=4&😀=3"},
		{`{"a":{"b":{"c":[null,[1,[2]]]}}}`, `a_b_c_0=&a_b_c_1_0=1&a_b_c_1_1_0=2`},
		{`{"k":1,"k":2}`, `k=2`},
		{`{"":1,"a":{"":2}}`, `=1&a_=2`},
	} {
		got, err := FlattenBody([]byte(c.in))
		if err != nil {
			t.Errorf("FlattenBody(%s): %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("FlattenBody(%s)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestFlattenErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{`{"a_b":1,"a":{"b":2}}`, ErrAmbiguousFlatten},
		{`{"a":{"b_c":1},"a_b":{"c":2}}`, ErrAmbiguousFlatten},
		{`{"a":[1],"a_0":2}`, ErrAmbiguousFlatten},
		{`[1,2]`, ErrNotEncodable},
		{`"s"`, ErrNotEncodable},
		{`null`, ErrNotEncodable},
		{`{"x":1e400}`, ErrNotEncodable},
		{`{"x":"\ud800"}`, ErrNotEncodable},
		{`{"\udc00":1}`, ErrNotEncodable},
		{`{"x":`, ErrSyntax},
	} {
		_, err := FlattenBody([]byte(c.in))
		if !errors.Is(err, c.want) {
			t.Errorf("FlattenBody(%s): err = %v, want %v", c.in, err, c.want)
		}
	}
	_, err := FlattenBody([]byte(`{"a_b":1,"a":{"b":2}}`))
	if msg := err.Error(); !strings.Contains(msg, `"a_b"`) || !strings.Contains(msg, "/a_b") || !strings.Contains(msg, "/a/b") {
		t.Errorf("collision error %q does not name the key and both paths", msg)
	}
}

func TestFlattenValues(t *testing.T) {
	o := NewObject()
	o.Set("n", Number("1.0"))
	o.Set("bad", Number("1."))
	if _, err := Flatten(o); !errors.Is(err, ErrNotEncodable) {
		t.Errorf("invalid number: err = %v", err)
	}
	o.Delete("bad")
	o.Set("go", 3)
	if _, err := Flatten(o); !errors.Is(err, ErrNotEncodable) {
		t.Errorf("Go int: err = %v", err)
	}
	o.Delete("go")
	if got, err := Flatten(o); err != nil || string(got) != "n=1" {
		t.Errorf("Flatten = %q, %v", got, err)
	}
	if got, err := Flatten((*Object)(nil)); err != nil || len(got) != 0 {
		t.Errorf("Flatten(nil *Object) = %q, %v", got, err)
	}
}

// nodeFlatten is an independent JavaScript implementation of the
// documented SimplifyTrip rules, as a provider's Node code would write it.
const nodeFlatten = `
function flatten(v, prefix, out) {
  for (const [k, x] of Object.entries(v)) {
    const key = prefix === null ? k : prefix + '_' + k;
    if (x !== null && typeof x === 'object') {
      flatten(x, key, out);
    } else if (typeof x === 'number' && !Number.isFinite(x)) {
      throw new Error('non-finite');
    } else if (typeof x === 'string' && !x.isWellFormed()) {
      throw new Error('lone surrogate');
    } else {
      if (!key.isWellFormed()) throw new Error('lone surrogate in key');
      out.push([key, x === null ? '' : String(x)]);
    }
  }
  return out;
}
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0);
const out = lines.map((l) => {
  try {
    const v = JSON.parse(Buffer.from(l.slice(1), 'base64').toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    const pairs = flatten(v, null, []);
    pairs.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
    for (let i = 1; i < pairs.length; i++) {
      if (pairs[i][0] === pairs[i - 1][0]) throw new Error('ambiguous ' + pairs[i][0]);
    }
    const s = pairs.map(([k, x]) => k + '=' + x).join('&');
    return Buffer.from(s, 'utf8').toString('base64');
  } catch (e) {
    return 'ERR ' + e.message.replace(/\n/g, ' ');
  }
});
process.stdout.write(out.join('\n') + '\n');
`

// TestFlattenDifferential compares FlattenBody with nodeFlatten over the
// generated corpus (whose keys include "a_b" and "0", so collisions occur).
func TestFlattenDifferential(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not in PATH; skipping the Flatten differential test")
	}
	docs := corpus(diffSeed(t, 20240603), diffDocs(t), true, true)
	docs = append(docs, `{"a_b":1,"a":{"b":2}}`, `{"x":[{},[],{"y":null}]}`, `[1]`)
	for _, d := range numberDocs() {
		if strings.HasPrefix(d, "{") {
			docs = append(docs, d)
		}
	}
	lines := runLines(t, node, []string{"-e", nodeFlatten}, docs)
	compared, rejected := 0, 0
	for i, doc := range docs {
		got, err := FlattenBody([]byte(doc))
		if strings.HasPrefix(lines[i], "ERR") {
			if err == nil {
				t.Errorf("doc %d: node rejected it (%s) but FlattenBody gave %q\ndoc: %s", i, lines[i], got, doc)
			}
			rejected++
			continue
		}
		want, _ := base64Decode(lines[i])
		if err != nil {
			t.Errorf("doc %d: FlattenBody: %v; node gave %q\ndoc: %s", i, err, want, doc)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("doc %d differs\ndoc:  %s\nnode: %q\ngo:   %q", i, doc, want, got)
		}
		compared++
	}
	if compared < len(docs)/2 || rejected == 0 {
		t.Errorf("compared %d, rejected %d of %d documents", compared, rejected, len(docs))
	}
	t.Logf("compared %d flattened documents with node; both rejected %d", compared, rejected)
}
