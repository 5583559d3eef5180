package providers

import (
	"strings"
)

// Nearest returns the choices nearest to name by edit distance (ignoring
// case), joined with " or ", when that distance is small for name's
// length (at most a third of it, at least 1; a typo, not another name):
// Nearest("esimfy", catalogue names) is "esimfly". It returns "" when no
// choice is that near, or name is one of them.
func Nearest(name string, choices []string) string {
	low := strings.ToLower(name)
	bound := max(1, (len(low)+2)/3)
	best, near := bound+1, []string(nil)
	for _, c := range choices {
		switch d := levenshtein(low, strings.ToLower(c), bound); {
		case d > bound:
		case d == 0:
			if c == name {
				return ""
			}
			fallthrough
		case d < best:
			best, near = d, []string{c}
		case d == best && len(near) < maxSuggestions:
			near = append(near, c)
		}
	}
	return strings.Join(near, " or ")
}
