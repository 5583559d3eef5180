package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/esimhooks/esimhooks/providers"
)

func init() {
	register("events", "list every provider, variant and event (schema, idempotency key, assumptions)", runEvents)
}

// eventInfo is one row of "esimhooks events --json".
type eventInfo struct {
	Provider       string   `json:"provider"`
	Variant        string   `json:"variant"`
	DefaultVariant bool     `json:"default_variant"`
	Event          string   `json:"event"`
	Description    string   `json:"description"`
	Schema         string   `json:"schema,omitempty"`
	Key            string   `json:"key"`
	Signature      string   `json:"signature"`
	Deadline       string   `json:"deadline"`
	Retry          []string `json:"retry_schedule"`
	Internal       bool     `json:"internal,omitempty"`
	// Reserved says why the provider lists the event but does not emit it;
	// esimhooks sends it only when forced (send --force, trigger "force").
	Reserved string   `json:"reserved,omitempty"`
	Assumed  []string `json:"assumed,omitempty"`
}

func runEvents(ctx context.Context, e *env, args []string) error {
	fs := newFlags("events", "[--provider P] [--variant V] [--json]", e)
	var pf providerFlags
	pf.register(fs)
	asJSON := fs.Bool("json", false, "print a JSON array, one object per event")
	asMarkdown := fs.Bool("markdown", false, "print the provider reference as Markdown (as in the README)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cat, err := pf.catalogue()
	if err != nil {
		return err
	}
	if *asMarkdown {
		writeMarkdown(e.stdout, cat)
		return nil
	}
	var variants []*providers.Variant
	switch {
	case pf.provider == "":
		for _, p := range cat.Profiles() {
			variants = append(variants, p.Variants...)
		}
	case pf.variant == "" && !strings.Contains(pf.provider, "@"):
		p, err := cat.Profile(pf.provider)
		if err != nil {
			return pf.lookupErr(err)
		}
		variants = p.Variants
	default:
		v, err := cat.Variant(pf.provider, pf.variant)
		if err != nil {
			return pf.lookupErr(err)
		}
		variants = []*providers.Variant{v}
	}
	var rows []eventInfo
	for _, v := range variants {
		for _, ev := range v.Events {
			rows = append(rows, describeEvent(v, ev))
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tVARIANT\tEVENT\tKEY\tSCHEMA\tASSUMED")
	for _, r := range rows {
		variant := r.Variant
		if r.DefaultVariant {
			variant += "*"
		}
		event := r.Event
		if r.Internal {
			event += " (registration)"
		}
		if r.Reserved != "" {
			event += " (reserved, not emitted)"
		}
		assumed := "-"
		if len(r.Assumed) > 0 {
			assumed = strings.Join(r.Assumed, "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Provider, variant, event, r.Key, r.Schema, assumed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\n* default variant. ASSUMED lists facts the provider's documents do not confirm.")
	if slices.ContainsFunc(rows, func(r eventInfo) bool { return r.Reserved != "" }) {
		fmt.Fprintln(e.stdout, "(reserved, not emitted): listed by the provider but never sent; esimhooks sends it only when forced (send --force).")
	}
	for _, v := range variants {
		if v.Description != "" {
			fmt.Fprintf(e.stdout, "%s: %s\n", v.ID(), strings.TrimSpace(v.Description))
		}
	}
	return nil
}

func describeEvent(v *providers.Variant, ev *providers.Event) eventInfo {
	r := eventInfo{
		Provider: v.Provider.Name, Variant: v.Name, DefaultVariant: v.Default, Event: ev.Name,
		Description: ev.Description, Schema: ev.Schema, Internal: ev.Internal, Reserved: ev.Reserved,
		Key: keyText(v.KeySpec(ev)), Signature: signatureText(v), Deadline: v.Ack.Deadline.String(),
	}
	for _, d := range v.Retry.Schedule {
		r.Retry = append(r.Retry, d.String())
	}
	for _, a := range v.Assumed {
		r.Assumed = append(r.Assumed, a.Fact)
	}
	if ev.Assumed != "" {
		r.Assumed = append(r.Assumed, "event: "+ev.Assumed)
	}
	return r
}

func keyText(k providers.KeySpec) string {
	switch k.From {
	case "header":
		return "header " + k.Name
	case "body":
		return "body " + k.Name
	}
	return "sha256(body)"
}

func signatureText(v *providers.Variant) string {
	s := v.Signature
	switch s.Scheme {
	case "none":
		return "none"
	case "standard-webhooks":
		return "standard-webhooks v1 (webhook-signature)"
	}
	return fmt.Sprintf("%s hex HMAC-%s over %s", s.Header, strings.ToUpper(s.Hash), s.Message)
}
