package childrun

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

const testEnv = "ESIMHOOKS_CHILDRUN_TEST"

type job struct{ N int }

// TestMain is the child's side: with testEnv set it doubles N, prints the
// result, writes a line to stderr and exits 3.
func TestMain(m *testing.M) {
	var j job
	child, err := Options(testEnv, &j)
	if child {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		fmt.Println("noise before the result")
		Print(map[string]int{"doubled": 2 * j.N})
		fmt.Fprintln(os.Stderr, "child done")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func TestRunCarriesOptionsResultAndCode(t *testing.T) {
	r := Run(context.Background(), t, testEnv, job{N: 21})
	if r.Code != 3 || r.Stderr != "child done\n" {
		t.Fatalf("code %d, stderr %q; want 3, %q", r.Code, r.Stderr, "child done\n")
	}
	var out struct{ Doubled int }
	if err := json.Unmarshal(r.Last, &out); err != nil || out.Doubled != 42 {
		t.Fatalf("last line %s (%v), want {\"doubled\":42}", r.Last, err)
	}
}

func TestBadOptionsAreTheChildsError(t *testing.T) {
	r := Run(context.Background(), t, testEnv, "not an object")
	if r.Code != 4 || r.Last != nil {
		t.Fatalf("code %d, last %s; want 4 and no result", r.Code, r.Last)
	}
}
