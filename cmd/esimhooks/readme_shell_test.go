package main

import (
	"fmt"
	"strings"
	"testing"
)

// The README's examples are shell; these helpers read the small part of
// sh they use (quotes, $VAR, line continuations, one pipe) so that tests
// can run each example in-process exactly as written, and fail on any
// construct they do not understand rather than guess.

// readmeHeadingSection returns the README text under heading (a whole
// line such as "### Five minutes with curl …") up to the next heading of
// the same or a higher level.
func readmeHeadingSection(t *testing.T, heading string) string {
	t.Helper()
	lines := strings.Split(readmeText(t), "\n")
	level := len(heading) - len(strings.TrimLeft(heading, "#"))
	for i, l := range lines {
		if !strings.HasPrefix(l, heading) {
			continue
		}
		var out []string
		fence := false
		for _, l := range lines[i+1:] {
			if strings.HasPrefix(l, "```") {
				fence = !fence
			}
			if !fence && strings.HasPrefix(l, "#") {
				if n := len(l) - len(strings.TrimLeft(l, "#")); n <= level && strings.HasPrefix(l[n:], " ") {
					break
				}
			}
			out = append(out, l)
		}
		return strings.Join(out, "\n")
	}
	t.Fatalf("README has no heading %q", heading)
	return ""
}

// shellBlocks returns the commands of the ```sh blocks in text: comment
// and blank lines dropped, "\" continuations joined.
func shellBlocks(text string) []string {
	var cmds []string
	in := false
	cur := ""
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			in = true
			continue
		case strings.HasPrefix(l, "```"):
			in = false
			continue
		case !in:
			continue
		}
		l = strings.TrimSpace(l)
		if cur == "" && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		cmds = append(cmds, cur+l)
		cur = ""
	}
	return cmds
}

// shellWords splits a command into words, expanding $NAME and ${NAME}
// from env outside single quotes. A "|" outside quotes is its own word.
// A trailing "# comment" is dropped. Anything else sh would treat
// specially (;, &, <, >, `, $( ), an unknown variable) is an error.
func shellWords(cmd string, env map[string]string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	expand := func(i int) (int, error) { // cmd[i] == '$'
		j := i + 1
		name := ""
		if j < len(cmd) && cmd[j] == '{' {
			k := strings.IndexByte(cmd[j:], '}')
			if k < 0 {
				return 0, fmt.Errorf("unclosed ${ in %q", cmd)
			}
			name, j = cmd[j+1:j+k], j+k+1
		} else {
			for j < len(cmd) && (cmd[j] == '_' || cmd[j] >= 'A' && cmd[j] <= 'Z' || cmd[j] >= 'a' && cmd[j] <= 'z' || cmd[j] >= '0' && cmd[j] <= '9') {
				j++
			}
			name = cmd[i+1 : j]
		}
		val, ok := env[name]
		if name == "" || !ok {
			return 0, fmt.Errorf("unknown variable $%s in %q", name, cmd)
		}
		w.WriteString(val)
		inWord = true
		return j, nil
	}
	for i := 0; i < len(cmd); {
		c := cmd[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
			i++
		case c == '#' && !inWord:
			i = len(cmd)
		case c == '|':
			flush()
			words = append(words, "|")
			i++
		case c == '\'':
			k := strings.IndexByte(cmd[i+1:], '\'')
			if k < 0 {
				return nil, fmt.Errorf("unclosed ' in %q", cmd)
			}
			w.WriteString(cmd[i+1 : i+1+k])
			inWord = true
			i += k + 2
		case c == '"':
			inWord = true
			i++
			for ; i < len(cmd) && cmd[i] != '"'; i++ {
				switch cmd[i] {
				case '$':
					j, err := expand(i)
					if err != nil {
						return nil, err
					}
					i = j - 1
				case '\\', '`':
					return nil, fmt.Errorf("escape or backquote inside double quotes in %q", cmd)
				default:
					w.WriteByte(cmd[i])
				}
			}
			if i >= len(cmd) {
				return nil, fmt.Errorf(`unclosed " in %q`, cmd)
			}
			i++
		case c == '$':
			if i+1 < len(cmd) && cmd[i+1] == '(' {
				return nil, fmt.Errorf("command substitution in %q", cmd)
			}
			j, err := expand(i)
			if err != nil {
				return nil, err
			}
			i = j
		case strings.IndexByte(";&<>`\\", c) >= 0:
			return nil, fmt.Errorf("%q: %c is beyond what the README's examples may use", cmd, c)
		default:
			w.WriteByte(c)
			inWord = true
			i++
		}
	}
	flush()
	return words, nil
}

func TestShellWords(t *testing.T) {
	env := map[string]string{"B": "http://h", "S": "a b"}
	for _, tc := range []struct{ in, want string }{
		{`curl -s -X POST $B/api -d '{"a":"$B"}'`, `curl|-s|-X|POST|http://h/api|-d|{"a":"$B"}`},
		{`x --secret "$S" "${B}/x" # note`, `x|--secret|a b|http://h/x`},
		{`echo -n "$S" | y`, `echo|-n|a b|||y`},
		{`--set 'data.c:="007"'`, `--set|data.c:="007"`},
	} {
		got, err := shellWords(tc.in, env)
		if err != nil || strings.Join(got, "|") != tc.want {
			t.Errorf("%s: %q %v, want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`a $NOPE`, `a; b`, `a > f`, `a $(b)`, `a 'x`, `a "x`} {
		if _, err := shellWords(bad, env); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
