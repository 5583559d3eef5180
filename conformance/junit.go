package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"
)

// The JUnit report of --junit-report, written from the Summary (not by
// Ginkgo, whose report has one test case per spec plus the suite's own
// nodes): one <testsuite> named provider@variant holding one <testcase> per
// requirement of the catalogue, named "ID: sentence", classname
// esimhooks.<category>. A failed requirement has a <failure> whose message
// is the evidence; a skipped one (not applicable, needs --probe, filtered
// out, dry run) and a blocked one have <skipped> with the reason ("dry run:
// would run", "blocked by ACK-001: …"). The counts of <testsuites> and
// <testsuite> are those of the test cases, and agree with the text summary
// and --report-json.

// junitCounts are the counts both <testsuites> and <testsuite> carry.
type junitCounts struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string       `xml:"name,attr"`
	Classname string       `xml:"classname,attr"`
	Time      string       `xml:"time,attr"`
	Failure   *junitResult `xml:"failure"`
	Skipped   *junitResult `xml:"skipped"`
}

type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// dryRunMessage is the <skipped> message of a requirement a dry run would
// check.
const dryRunMessage = "dry run: would run"

// junit builds the JUnit document of the summary.
func (s *Summary) junit() junitSuites {
	suite := junitSuite{
		Name:        s.Provider + "@" + s.Variant,
		junitCounts: junitCounts{Time: seconds(time.Duration(s.DurationMS) * time.Millisecond)},
		Timestamp:   s.Start.Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"target", s.Target}, {"verdict", s.Verdict}, {"seed", strconv.FormatUint(s.Seed, 10)},
			{"strict", strconv.FormatBool(s.Strict)}, {"probe", strconv.FormatBool(s.Probe)},
			{"production", strconv.FormatBool(s.Production)}, {"dry_run", strconv.FormatBool(s.DryRun)},
		},
	}
	if s.NotRun != "" {
		suite.Properties = append(suite.Properties, junitProperty{"not_run", s.NotRun})
	}
	for _, r := range s.Requirements {
		c := junitCase{
			Name:      r.ID + ": " + r.Sentence,
			Classname: "esimhooks." + r.Category,
			Time:      seconds(time.Duration(r.DurationMS) * time.Millisecond),
		}
		switch {
		case r.WouldRun:
			c.Skipped = &junitResult{Message: dryRunMessage, Text: r.Evidence}
		case r.Outcome == OutcomeFailed:
			c.Failure = &junitResult{Message: r.Evidence, Type: r.Level, Text: r.Evidence}
		case r.Outcome == OutcomeSkipped || r.Outcome == OutcomeBlocked:
			c.Skipped = &junitResult{Message: r.Evidence}
		}
		suite.Tests++
		if c.Failure != nil {
			suite.Failures++
		}
		if c.Skipped != nil {
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	return junitSuites{Name: suiteDescription, junitCounts: suite.junitCounts, Suites: []junitSuite{suite}}
}

// WriteJUnit writes the summary as a JUnit XML document.
func (s *Summary) WriteJUnit(w io.Writer) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s.junit()); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func (s *Summary) writeJUnitFile(path string) error { return createWith(path, s.WriteJUnit) }

// seconds formats a duration as JUnit's time attribute.
func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
