package providers

import "testing"

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b        string
		bound, want int
	}{
		{"kitten", "sitting", 10, 3},
		{"data.iccd", "data.iccid", 2, 1},
		{"", "abc", 5, 3},
		{"abc", "abc", 0, 0},
		{"kitten", "sitting", 2, 3}, // past the bound: bound+1
		{"a", "abcdefgh", 3, 4},     // lengths alone exceed the bound
		{"data.x", "data.id", 1, 2},
	} {
		if got := levenshtein(tc.a, tc.b, tc.bound); got != tc.want {
			t.Errorf("levenshtein(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.bound, got, tc.want)
		}
	}
}
