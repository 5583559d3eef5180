package providers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// maxSuggestPaths bounds how many of a payload's paths a "did you mean"
// compares (a large --payload file has more); maxSuggestions how many it
// names.
const (
	maxSuggestPaths = 10000
	maxSuggestions  = 3
)

// missingWarning says that p has no value at path (o adds one), naming the
// paths of p nearest to o.Path by edit distance, written as o.Path is
// (dotted or pointer), or else the keys the deepest existing parent has.
func missingWarning(p jsonv.Value, o Override, path []string, nv jsonv.Value) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the payload has no %s", o, o.Path)
	pointer := strings.HasPrefix(o.Path, "/")
	if near := nearestPaths(p, o.Path, pointer); len(near) > 0 {
		fmt.Fprintf(&b, " (did you mean %s?)", strings.Join(near, " or "))
	} else if keys := parentKeys(p, path, pointer); keys != "" {
		fmt.Fprintf(&b, " (%s)", keys)
	}
	b.WriteString("; adding it")
	if s, ok := nv.(string); ok && !o.JSON {
		b.WriteString(" as a string")
		if v, err := jsonv.Parse([]byte(s)); err == nil {
			if _, isStr := v.(string); !isStr {
				fmt.Fprintf(&b, " (write %s:=%s for %s)", o.Path, s, kindName(v))
			}
		}
	}
	return b.String()
}

// nearestPaths returns the paths of p (every member and element, at any
// depth, but not target's own ancestors) at the smallest edit distance
// from target, when that distance is at most a quarter of target's length
// (at least 1).
func nearestPaths(p jsonv.Value, target string, pointer bool) []string {
	limit := max(1, len(target)/4)
	best := limit + 1
	var near []string
	n := 0
	var walk func(v jsonv.Value, at []string)
	visit := func(at []string, v jsonv.Value) {
		if n >= maxSuggestPaths {
			return
		}
		n++
		s := formatPath(at, pointer)
		if strings.HasPrefix(target, s) && len(target) > len(s) && strings.ContainsRune("./", rune(target[len(s)])) {
			walk(v, at) // an ancestor: "data" for data.x is no typo
			return
		}
		switch d := levenshtein(s, target, best); {
		case d < best:
			best, near = d, []string{s}
		case d == best && d <= limit && len(near) < maxSuggestions:
			near = append(near, s)
		}
		walk(v, at)
	}
	walk = func(v jsonv.Value, at []string) {
		switch x := v.(type) {
		case *jsonv.Object:
			for _, k := range x.Keys() {
				el, _ := x.Get(k)
				visit(append(at, k), el)
			}
		case []jsonv.Value:
			for i, el := range x {
				visit(append(at, strconv.Itoa(i)), el)
			}
		}
	}
	walk(p, nil)
	return near
}

// formatPath writes a path as a JSON pointer, or dotted where every
// segment allows it.
func formatPath(path []string, pointer bool) string {
	if !pointer {
		for _, s := range path {
			if s == "" || strings.Contains(s, ".") {
				pointer = true
				break
			}
		}
	}
	if pointer {
		return jsonv.Pointer(path)
	}
	return strings.Join(path, ".")
}

// parentKeys names the keys of the deepest object on path that p has.
func parentKeys(p jsonv.Value, path []string, pointer bool) string {
	for i := len(path) - 1; i >= 0; i-- {
		v, ok := jsonv.Get(p, path[:i])
		if !ok {
			continue
		}
		obj, isObj := v.(*jsonv.Object)
		if !isObj || obj.Len() == 0 {
			return ""
		}
		keys := obj.Keys()
		more := ""
		if len(keys) > 10 {
			keys, more = keys[:10], ", …"
		}
		where := "its root"
		if i > 0 {
			where = formatPath(path[:i], pointer)
		}
		return where + " has " + strings.Join(keys, ", ") + more
	}
	return ""
}

// levenshtein returns the edit distance between a and b (insertions,
// deletions and substitutions of bytes), or a value above bound as soon
// as the distance must exceed bound.
func levenshtein(a, b string, bound int) int {
	if d := len(a) - len(b); d > bound || -d > bound {
		return bound + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low > bound {
			return bound + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
