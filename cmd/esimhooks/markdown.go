package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/esimhooks/esimhooks/providers"
)

// writeMarkdown prints the provider reference the README embeds: per
// provider and variant, events, signature, deadline, retries, key and
// assumptions. README_test keeps the README in step with it.
func writeMarkdown(w io.Writer, cat *providers.Catalogue) {
	for _, p := range cat.Profiles() {
		fmt.Fprintf(w, "### %s (`%s`)\n\n%s\n\n", p.Title, p.Name, strings.TrimSpace(p.Description))
		for _, v := range p.Variants {
			def := ""
			if v.Default {
				def = " (default)"
			}
			fmt.Fprintf(w, "**Variant `%s`%s** — source: %s\n\n", v.Name, def, v.Source)
			if v.Description != "" {
				fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(v.Description))
			}
			fmt.Fprintf(w, "| | |\n|---|---|\n")
			fmt.Fprintf(w, "| envelope | `%s` |\n", v.Envelope)
			fmt.Fprintf(w, "| signature | %s |\n", signatureText(v))
			fmt.Fprintf(w, "| body encoding | %s |\n", encodingText(v.Encoding))
			fmt.Fprintf(w, "| ack | %s within %s |\n", v.Ack.Success, v.Ack.Deadline)
			fmt.Fprintf(w, "| retries | %s |\n", retryText(v))
			fmt.Fprintf(w, "| idempotency key | %s |\n", idempotencyText(v))
			if v.Replay != nil {
				fmt.Fprintf(w, "| replay window | %s (time at `%s`) |\n", v.Replay.Window, v.Replay.Time)
			}
			fmt.Fprintf(w, "| registration check | %s |\n", registrationText(v))
			fmt.Fprintf(w, "| events | %s |\n", eventList(v))
			if len(v.SourceIPs) > 0 {
				fmt.Fprintf(w, "| source IPs | %s |\n", strings.Join(v.SourceIPs, ", "))
			}
			fmt.Fprintln(w)
			for _, a := range v.Assumptions() {
				fmt.Fprintf(w, "- *Assumed* (%s): %s\n", a.Fact, a.Note)
			}
			for _, n := range v.Notes {
				fmt.Fprintf(w, "- %s\n", n)
			}
			fmt.Fprintln(w)
		}
	}
}

func encodingText(e string) string {
	switch e {
	case "js":
		return "`JSON.stringify` form (compact, literal UTF-8, JavaScript numbers)"
	case "php":
		return "Airalo rule: the PHP `json_encode` form every Airalo SDK reproduces (`\\/`, ASCII only, non-ASCII as `\\uXXXX`; `--encoding php-utf8` sends it as UTF-8, *assumed*)"
	case "php-utf8":
		return "Airalo rule with non-ASCII as literal UTF-8 (Node and Python SDKs; *assumed*)"
	}
	return "compact JSON"
}

func retryText(v *providers.Variant) string {
	var parts []string
	sched := v.Retry.Schedule
	for i := 0; i < len(sched); {
		if i == 0 && sched[0] == 0 {
			parts = append(parts, "immediate")
			i++
			continue
		}
		j := i
		for j < len(sched) && sched[j] == sched[i] {
			j++
		}
		if j-i > 2 {
			parts = append(parts, fmt.Sprintf("%d × +%s", j-i, sched[i]))
		} else {
			for k := i; k < j; k++ {
				parts = append(parts, "+"+sched[k].String())
			}
		}
		i = j
	}
	s := fmt.Sprintf("%d attempts: %s", len(v.Retry.Schedule), strings.Join(parts, ", "))
	if v.Retry.NoRetryOn4xx {
		s += "; no retry after a 4xx"
	}
	return s
}

func registrationText(v *providers.Variant) string {
	switch v.Registration.Check {
	case "head":
		return "HEAD to the URL must answer 200"
	case "event":
		return v.Registration.Event + " is sent and must be acknowledged"
	}
	return "none"
}

func eventList(v *providers.Variant) string {
	var names []string
	for _, e := range v.Events {
		n := "`" + e.Name + "`"
		if e.Internal {
			n += " (registration)"
		}
		if e.Reserved != "" {
			n += " (reserved, not emitted)"
		}
		if e.Assumed != "" {
			n += " (assumed)"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

func idempotencyText(v *providers.Variant) string {
	s := keyText(v.Idempotency)
	for _, e := range v.Events {
		if e.Idempotency != nil {
			s += fmt.Sprintf("; `%s`: %s", e.Name, keyText(*e.Idempotency))
		}
	}
	return s
}
