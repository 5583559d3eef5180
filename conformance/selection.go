package conformance

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// parseLabelFilter parses a --label-filter expression. A syntax error is
// one plain line: the expression, Ginkgo's reason and where it found the
// error, without the colour codes and line breaks of Ginkgo's own message.
func parseLabelFilter(expr string) (types.LabelFilter, error) {
	f, err := types.ParseLabelFilter(expr)
	if err == nil {
		return f, nil
	}
	return nil, usagef("--label-filter %s: %s", quoteFilter(expr), filterSyntaxError(err))
}

// quoteFilter quotes a filter expression as a shell user typed it.
func quoteFilter(expr string) string { return "'" + expr + "'" }

var (
	// markup is Ginkgo's formatter markup ({{red}}, {{/}}, …).
	markup = regexp.MustCompile(`\{\{[a-z/-]*\}\}`)
	// ansi is a terminal colour sequence.
	ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")
)

// errorMarker starts the character Ginkgo underlines in a syntax error.
const errorMarker = "{{red}}{{bold}}{{underline}}"

// filterSyntaxError turns Ginkgo's label filter error into one line: "Unexpected
// EOF.", "Invalid token '&'. Did you mean '&&'? (at character 5)".
func filterSyntaxError(err error) string {
	var ge types.GinkgoError
	if !errors.As(err, &ge) {
		return oneLine(ansi.ReplaceAllString(err.Error(), ""), 1<<10)
	}
	where := ""
	if i := strings.Index(ge.Message, errorMarker); i >= 0 {
		where = fmt.Sprintf(" (at character %d)", len([]rune(ge.Message[:i]))+1)
	}
	reason := ge.Message
	if i := strings.LastIndex(reason, "\n"); i >= 0 {
		reason = reason[i+1:]
	}
	reason = oneLine(ansi.ReplaceAllString(markup.ReplaceAllString(reason, ""), ""), 1<<10)
	return reason + where
}

// checkSelection refuses, before anything is sent, a label filter under
// which nothing would be tested: one that matches no requirement that
// applies to the variant, or only requirements the run cannot check
// (they need --probe or --production). Every error wraps ErrUsage.
func (st *runState) checkSelection() error {
	expr := st.opts.LabelFilter
	if expr == "" {
		return nil
	}
	match, err := parseLabelFilter(expr)
	if err != nil {
		return err
	}
	var applicable, selected []*Requirement
	matchedAny := false
	needs := map[string]bool{}
	var needed []string
	for _, r := range st.reqs.Requirements {
		m := match(labelsOf(r))
		matchedAny = matchedAny || m
		if ok, _ := r.Applies(st.v); !ok {
			continue
		}
		applicable = append(applicable, r)
		if !m {
			continue
		}
		why := st.skipReason(r)
		if why == "" {
			return nil
		}
		selected = append(selected, r)
		if !needs[why] {
			needs[why] = true
			needed = append(needed, strings.TrimPrefix(why, "needs "))
		}
	}
	if len(selected) == 0 {
		scope := ""
		if matchedAny {
			scope = " that applies to " + st.v.ID()
		}
		return usagef("--label-filter %s matches no requirement%s (labels: %s)", quoteFilter(expr), scope, labelList(applicable))
	}
	ids := make([]string, len(selected))
	for i, r := range selected {
		ids[i] = r.ID
	}
	return usagef("--label-filter %s selects only %s, which need %s", quoteFilter(expr), strings.Join(ids, ", "), strings.Join(needed, " or "))
}
