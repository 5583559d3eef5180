package jsonv

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// diffDocs is how many generated documents each differential test sends:
// 240 by default, or JSONV_DIFF_DOCS for a longer run.
func diffDocs(t *testing.T) int {
	if s := os.Getenv("JSONV_DIFF_DOCS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("JSONV_DIFF_DOCS=%q is not a positive count", s)
		}
		return n
	}
	return 240
}

// diffSeed is the corpus seed: fixed by default, or JSONV_DIFF_SEED.
func diffSeed(t *testing.T, def uint64) uint64 {
	if s := os.Getenv("JSONV_DIFF_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("JSONV_DIFF_SEED=%q is not a number", s)
		}
		return n
	}
	return def
}

// runLines feeds each input to the command as one base64 line on standard
// input and returns one output line per input: base64 of the runtime's
// output, or a line starting with "ERR" when the runtime rejected it.
func runLines(t *testing.T, name string, args []string, inputs []string) []string {
	t.Helper()
	var in bytes.Buffer
	for _, s := range inputs {
		in.WriteByte('>') // keeps the line of an empty input
		in.WriteString(base64.StdEncoding.EncodeToString([]byte(s)))
		in.WriteByte('\n')
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%s printed %d lines for %d inputs; stderr:\n%s", name, len(lines), len(inputs), stderr.String())
	}
	return lines
}

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// nodeStringify is the script behind the node differential test: for each
// base64 line, the UTF-8 text (decoded as Express's body parser does), then
// JSON.stringify(JSON.parse(text)) re-encoded as UTF-8 base64.
const nodeStringify = `
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0);
const out = lines.map((l) => {
  const text = Buffer.from(l.slice(1), 'base64').toString('utf8');
  try {
    return Buffer.from(JSON.stringify(JSON.parse(text)), 'utf8').toString('base64');
  } catch (e) {
    return 'ERR ' + e.message.replace(/\n/g, ' ');
  }
});
process.stdout.write(out.join('\n') + '\n');
`

// phpRoundTrip is the script behind the PHP differential test: for each
// base64 line, json_encode(json_decode($text, true)) as base64.
const phpRoundTrip = `<?php
while (($line = fgets(STDIN)) !== false) {
    $line = trim($line);
    if ($line === '') {
        continue;
    }
    $x = json_decode(base64_decode(substr($line, 1)), true);
    if (json_last_error() !== JSON_ERROR_NONE) {
        echo 'ERR decode: ', json_last_error_msg(), "\n";
        continue;
    }
    $out = json_encode($x);
    if ($out === false) {
        echo 'ERR encode: ', json_last_error_msg(), "\n";
        continue;
    }
    echo base64_encode($out), "\n";
}
`

// invalidDocs are texts both runtimes must reject, as Parse does.
var invalidDocs = []string{
	``, ` `, `{`, `[1,]`, `{"a":1,}`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`,
	`[+1]`, `[0x10]`, `[NaN]`, `[Infinity]`, `{'a':1}`, `{"a" 1}`, `"a` + "\t" + `"`,
	`["\x"]`, `["\u12"]`, `[1] [2]`, `[true false]`, `nul`, `[1]x`, "\ufeff[1]",
	`{"a":1}}`, `[1,2`, `"\`, `/* c */ 1`,
}

// edgeDocs are hand-picked documents for both runtimes.
var edgeDocs = []string{
	`{}`, `[]`, `{"0":1,"1":2}`, `{"1":1,"0":2}`, `{"0":1,"2":2}`, `{"a":1,"b":2,"a":3}`,
	`{"b":1,"1":2,"0":3,"a":0,"1":9}`, `{"4294967294":1,"4294967295":2,"a":3,"1":4,"01":5,"-1":6}`,
	`[5.50,1e21,1e-7,0.000001,123456789012345678901,-0,-0.0,0.1,8944000000000000001]`,
	`["\u00e9","😀","</script>","a/b","\u2028\u2029","\u0000\u001f\u007f\b\f\n\r\t\"\\\/"]`,
	`["\ud800","\udc00","\udc00\ud800","\ud83d\ude00","x\ud83dy"]`,
	`[1e400]`, `[-1e400]`, `[1e-400]`, `{"__proto__":{"a":1},"constructor":2}`,
	`{"":1,"a":{"":[]}}`, `[[[[[[[[[[]]]]]]]]]]`, `"top-level string"`, `42`, `null`, `true`,
	" \t\r\n[1 , 2]\n", `{"0":[],"1":{}}`, `{"0":"a","1":"b","3":"c"}`,
	`{"\u0000a":1,"9223372036854775807":2,"9223372036854775808":3,"-1":4}`, `{"1":1,"0":2,"1":3}`,
	`[1` + strings.Repeat("0", 400) + `e-400,0e99999999999999999999,1e-99999999999999999999,1e99999999999999999999]`,
	`[9007199254740993.0000000000000000001,1.00000000000000011102230246251565404236316680908203125]`,
}

func nestedArray(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

func nestedObject(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

// TestNodeDifferential compares StringifyJS with Node's
// JSON.stringify(JSON.parse(x)) byte for byte over ~250 generated
// documents (3,000 number literals among them), the hand-picked edge cases
// and invalid inputs. Node's JSON.stringify throws past a few thousand
// levels of nesting (stack-dependent); StringifyJS does not model that.
func TestNodeDifferential(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not in PATH; skipping the JSON.stringify differential test")
	}
	docs := corpus(diffSeed(t, 20240601), diffDocs(t), true, true)
	docs = append(docs, edgeDocs...)
	docs = append(docs, numberDocs()...)
	docs = append(docs, airaloDocs(t, docs)...)
	docs = append(docs, nestedArray(500), nestedObject(500))
	docs = append(docs, invalidDocs...)
	lines := runLines(t, node, []string{"-e", nodeStringify}, docs)
	compared := 0
	for i, doc := range docs {
		got, err := StringifyJS([]byte(doc))
		if strings.HasPrefix(lines[i], "ERR") {
			if err == nil {
				t.Errorf("doc %d: node rejected it (%s) but StringifyJS gave %s\ndoc: %s", i, lines[i], got, doc)
			}
			continue
		}
		want, _ := base64.StdEncoding.DecodeString(lines[i])
		if err != nil {
			t.Errorf("doc %d: StringifyJS: %v; node gave %s\ndoc: %s", i, err, want, doc)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("doc %d differs\ndoc:  %s\nnode: %s\ngo:   %s", i, doc, want, got)
		}
		compared++
	}
	if compared < len(docs)-len(invalidDocs)-30 {
		t.Errorf("only %d documents compared", compared)
	}
	t.Logf("compared %d documents byte for byte with node", compared)
}

// TestPHPDifferential compares PHPRoundTrip with PHP's
// json_encode(json_decode($x, true)) when php is installed.
func TestPHPDifferential(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is not in PATH; skipping the json_encode differential test (table tests cover PHP)")
	}
	script := filepath.Join(t.TempDir(), "roundtrip.php")
	if err := os.WriteFile(script, []byte(phpRoundTrip), 0o600); err != nil {
		t.Fatal(err)
	}
	docs := corpus(diffSeed(t, 20240602), diffDocs(t), true, true)
	docs = append(docs, edgeDocs...)
	docs = append(docs, numberDocs()...)
	docs = append(docs, airaloDocs(t, docs)...)
	docs = append(docs, nestedArray(512), nestedArray(513), nestedObject(512), nestedObject(513))
	docs = append(docs, invalidDocs...)
	lines := runLines(t, php, []string{"-n", "-d", "serialize_precision=-1", script}, docs)
	compared := 0
	for i, doc := range docs {
		got, err := PHPRoundTrip([]byte(doc))
		if strings.HasPrefix(lines[i], "ERR") {
			if err == nil {
				t.Errorf("doc %d: php failed (%s) but PHPRoundTrip gave %s\ndoc: %s", i, lines[i], got, doc)
			}
			continue
		}
		want, _ := base64.StdEncoding.DecodeString(lines[i])
		if err != nil {
			t.Errorf("doc %d: PHPRoundTrip: %v; php gave %s\ndoc: %s", i, err, want, doc)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("doc %d differs\ndoc: %s\nphp: %s\ngo:  %s", i, doc, want, got)
		}
		compared++
	}
	if compared < len(docs)*3/4 {
		t.Errorf("only %d documents compared", compared)
	}
	t.Logf("compared %d documents byte for byte with php", compared)
}

// pythonDumps is the script behind the Python differential test: for each
// base64 line, the UTF-8 text, then json.dumps(json.loads(text),
// separators=(",", ":"), ensure_ascii=False) as UTF-8 base64 — the
// re-serialisation of Airalo's Python SDK (providers.md), written from that
// description, not copied.
const pythonDumps = `
import base64, json, sys
out = []
for line in sys.stdin.read().split("\n"):
    if not line:
        continue
    try:
        text = base64.b64decode(line[1:]).decode("utf-8")
        s = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
        out.append(base64.b64encode(s.encode("utf-8")).decode("ascii"))
    except Exception as e:
        out.append("ERR " + type(e).__name__)
sys.stdout.write("\n".join(out) + "\n")
`

// numberClasses are number literals of every class the encoders treat
// apart: both zeros, exponent limits of each runtime, integers around
// ±2^53, ±2^63 and beyond 2^64, decimals with trailing zeros, sums that do
// not round-trip in fewer digits, and overflow/underflow.
var numberClasses = []string{
	"0", "-0", "0.0", "-0.0", "1e21", "1e-7", "1e20", "1e16", "1e15", "1e17", "1e-4", "1e-5", "1e-6",
	"0.0001", "0.00001", "0.000001", "18446744073709551617", "-18446744073709551617",
	"0.30000000000000004", "0.1", "5.50", "20.00", "1.0", "1e5", "1E5", "12.5e1", "225.35",
	"9007199254740991", "9007199254740992", "9007199254740993", "-9007199254740991", "-9007199254740993",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"-123456789.125", "-1e300", "1.7976931348623157e308", "5e-324", "1e400", "-1e400", "1e-400",
	"123456789012345678901234567890", "0.1e1", "100", "-7",
}

// numberDocs puts each number class in an object, an array and as the
// top-level value.
func numberDocs() []string {
	var docs []string
	for _, n := range numberClasses {
		docs = append(docs, `{"n":`+n+`,"a":[`+n+`]}`, n)
	}
	return docs
}

// airaloDocs are EncodeAiralo's bodies of the corpus, the edge documents
// and the number classes in both non-ASCII forms, so that the runtime tests
// check the SDK models on exactly what the mock sends.
func airaloDocs(t *testing.T, docs []string) []string {
	var out []string
	for _, d := range docs {
		v, err := Parse([]byte(d))
		if err != nil {
			continue
		}
		for _, utf8 := range []bool{false, true} {
			if b, err := EncodeAiralo(v, utf8); err == nil {
				out = append(out, string(b))
			}
		}
	}
	return out
}

// TestPythonDifferential compares PythonRoundTrip with Python's
// json.dumps(json.loads(x), separators=(",", ":"), ensure_ascii=False)
// byte for byte over the generated corpus, the edge documents, every
// number class and the Airalo bodies of all of them.
func TestPythonDifferential(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not in PATH; skipping the json.dumps differential test")
	}
	docs := corpus(diffSeed(t, 20240603), diffDocs(t), true, true)
	docs = append(docs, edgeDocs...)
	docs = append(docs, numberDocs()...)
	docs = append(docs, airaloDocs(t, docs)...)
	docs = append(docs, `["a\/b","\u00e9\ud83d\ude00"]`, nestedArray(200))
	lines := runLines(t, py, []string{"-c", pythonDumps}, docs)
	compared := 0
	for i, doc := range docs {
		got, err := PythonRoundTrip([]byte(doc))
		if strings.HasPrefix(lines[i], "ERR") {
			if err == nil {
				t.Errorf("doc %d: python failed (%s) but PythonRoundTrip gave %s\ndoc: %s", i, lines[i], got, doc)
			}
			continue
		}
		want, _ := base64.StdEncoding.DecodeString(lines[i])
		if err != nil {
			t.Errorf("doc %d: PythonRoundTrip: %v; python gave %s\ndoc: %s", i, err, want, doc)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("doc %d differs\ndoc:    %s\npython: %s\ngo:     %s", i, doc, want, got)
		}
		compared++
	}
	if compared < len(docs)*3/4 {
		t.Errorf("only %d documents compared", compared)
	}
	t.Logf("compared %d documents byte for byte with python3", compared)
}
