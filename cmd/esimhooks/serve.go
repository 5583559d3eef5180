package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/dashboard"
	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/providerapi"
	"github.com/esimhooks/esimhooks/mockserver/sqlite"
	"github.com/esimhooks/esimhooks/mockserver/wire"
)

func init() {
	register("serve", "run the mock provider: control API, provider APIs, dashboard, metrics", runServe)
}

// envFlag registers a string flag whose default comes from an ESIMHOOKS_*
// environment variable.
func envFlag(fs *flag.FlagSet, e *env, name, def, usage string) *string {
	key := "ESIMHOOKS_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if v := e.getenv(key); v != "" {
		def = v
	}
	return fs.String(name, def, usage+" (env "+key+")")
}

// envBool registers a boolean flag whose default comes from an ESIMHOOKS_*
// environment variable (1, true, yes).
func envBool(fs *flag.FlagSet, e *env, name, usage string) *bool {
	key := "ESIMHOOKS_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	def := false
	switch strings.ToLower(e.getenv(key)) {
	case "1", "true", "yes":
		def = true
	}
	return fs.Bool(name, def, usage+" (env "+key+")")
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags("serve", "[flags]", e)
	addr := envFlag(fs, e, "addr", "127.0.0.1:7700", "listen address; anything but loopback requires --token")
	store := envFlag(fs, e, "store", "sqlite", "delivery log: sqlite (a file, survives restarts) or memory (throwaway)")
	db := envFlag(fs, e, "db", "esimhooks.db", "SQLite file for --store sqlite (created 0600: it holds endpoint secrets; with --retain, the deliveries go to segment files in the directory of this name plus .segments)")
	scale := envFlag(fs, e, "time-scale", "1", "multiply every provider delay (retry schedule, chaos delays) by this; 0.001 turns a 1 h retry into 3.6 s. Ack deadlines are not scaled")
	token := envFlag(fs, e, "token", "", fmt.Sprintf("require 'Authorization: Bearer TOKEN' on /api/ (at least %d characters, compared exactly) and the provider credentials derived from it on the provider APIs", api.MinTokenLength))
	logFormat := envFlag(fs, e, "log-format", "text", "log format: text or json")
	logLevel := envFlag(fs, e, "log-level", "info", "log level: debug, info, warn, error")
	caFile := envFlag(fs, e, "ca-file", "", "PEM file of CAs to trust for receivers with private certificates")
	insecure := envBool(fs, e, "insecure", "accept any receiver TLS certificate (staging only)")
	scenarios := envFlag(fs, e, "scenarios", "", "a directory of extra scenario files (YAML) added to the shipped library")
	bodyTimeout := envFlag(fs, e, "body-timeout", api.DefaultBodyReadTimeout.String(), "how long a request body may take to arrive (at most 10m); a slower one gets 408")
	printCreds := envBool(fs, e, "print-credentials", "print the provider credentials the registration APIs require with this --token, and exit")
	maxEndpoints := envFlag(fs, e, "max-endpoints", strconv.Itoa(engine.DefaultMaxEndpoints), "most endpoints the server holds (1 to 100000); registering one more is refused with 409")
	maxTrigger := envFlag(fs, e, "max-trigger-deliveries", strconv.Itoa(engine.DefaultMaxTriggerDeliveries), "most deliveries one trigger makes, endpoints × (1 + duplicates) (1 to 1000000); a larger trigger is refused with 400")
	retain := envFlag(fs, e, "retain", "default", fmt.Sprintf("delivery log retention: an age (30d, 12h), a count of the newest deliveries to keep (20000), both (7d,100000: whichever removes more), off, or default (memory: %d, sqlite: %s); pending deliveries are never removed", engine.DefaultMemoryRetainCount, engine.Retention{MaxAge: engine.DefaultSQLiteRetainAge}))
	var pf providerFlags
	pf.registerProfiles(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := api.CheckToken(*token); err != nil {
		return usageErr("--token: %v", err)
	}
	if *token == "" && api.Exposed(*addr) {
		return usageErr("--addr %s listens beyond this machine: the control API would be open to the network; add --token (at least %d characters, e.g. openssl rand -hex 16) or listen on 127.0.0.1", *addr, api.MinTokenLength)
	}
	bt, err := time.ParseDuration(*bodyTimeout)
	if err != nil || bt <= 0 || bt > 10*time.Minute {
		return usageErr("--body-timeout %q: want a duration in (0, 10m], e.g. 30s", *bodyTimeout)
	}
	if *printCreds {
		return printCredentials(e, *token)
	}
	ts, err := strconv.ParseFloat(*scale, 64)
	if err != nil || ts <= 0 || ts > 1000 {
		return usageErr("--time-scale %q: want a number in (0, 1000], e.g. 0.001", *scale)
	}
	maxEP, err := boundFlag("max-endpoints", *maxEndpoints, 100_000)
	if err != nil {
		return err
	}
	maxTr, err := boundFlag("max-trigger-deliveries", *maxTrigger, 1_000_000)
	if err != nil {
		return err
	}
	logger, err := newLogger(e, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	cat, err := pf.catalogue()
	if err != nil {
		return err
	}
	tlsConf, err := wire.TLSConfig(*caFile, *insecure)
	if err != nil {
		return usageErr("--ca-file: %v", err)
	}
	ret, err := retention(*retain, *store)
	if err != nil {
		return err
	}
	var st engine.Store
	switch *store {
	case "memory":
		st = engine.NewMemoryStore()
	case "sqlite":
		s, err := openSQLite(*db, ret)
		if err != nil {
			return usageErr("--db %s: %v", *db, err)
		}
		s.SetLogger(logger)
		st = s
	default:
		return usageErr("--store %q: want sqlite or memory", *store)
	}
	defer st.Close()
	runner, err := scenarioRunner(cat, *scenarios, ts)
	if err != nil {
		return err
	}
	srv, err := mockserver.New(mockserver.Config{
		Addr: *addr, Store: st, Catalogue: cat, TimeScale: ts, Token: *token,
		Logger: logger, Dashboard: dashboard.Handler(), TLSConfig: tlsConf, Scenarios: runner, BodyReadTimeout: bt,
		MaxEndpoints: maxEP, MaxTriggerDeliveries: maxTr, Retention: ret,
		ProviderAPIs: providerapi.All(),
	})
	if err != nil {
		return usageErr("%v", err)
	}
	where := *db
	if *store == "memory" {
		where = "memory (lost on exit)"
	}
	fmt.Fprintf(e.stdout, "esimhooks mock provider listening on %s\n", srv.URL)
	fmt.Fprintf(e.stdout, "  dashboard     %s/\n", srv.URL)
	fmt.Fprintf(e.stdout, "  control API   %s/api/   (OpenAPI: %s/api/openapi.yaml)\n", srv.URL, srv.URL)
	fmt.Fprintf(e.stdout, "  provider APIs %s/airalo/v2/…  %s/esimaccess/api/v1/open/…  %s/esimfly/api/v1/business/webhooks\n", srv.URL, srv.URL, srv.URL)
	fmt.Fprintf(e.stdout, "  metrics       %s/metrics   health %s/healthz\n", srv.URL, srv.URL)
	if *token != "" {
		fmt.Fprintf(e.stdout, "  credentials   the provider APIs need the credentials of GET %s/api/credentials (with the token) or esimhooks serve --token … --print-credentials\n", srv.URL)
	}
	fmt.Fprintf(e.stdout, "  delivery log  %s, time scale %g, retention %s\n", where, ts, ret)
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "shutting down: finishing in-flight attempts; pending deliveries stay in the log")
	return srv.Close()
}

// printCredentials prints the provider credentials a server with token
// requires (secrets included: the user asked for them; they are never
// logged).
func printCredentials(e *env, token string) error {
	c := api.DeriveCredentials(token)
	if c == nil {
		return usageErr("--print-credentials needs --token: without a token the provider APIs accept any credentials")
	}
	fmt.Fprintf(e.stdout, "airalo      client_id=%s client_secret=%s\n", c.Airalo.ClientID, c.Airalo.ClientSecret)
	fmt.Fprintf(e.stdout, "esimaccess  RT-AccessCode=%s RT-SecretKey=%s\n", c.Esimaccess.AccessCode, c.Esimaccess.SecretKey)
	fmt.Fprintf(e.stdout, "esimfly     RT-AccessCode=%s secret key (RT-Signature)=%s\n", c.Esimfly.AccessCode, c.Esimfly.SecretKey)
	return nil
}

// boundFlag reads a whole number from 1 to limit given to --name.
func boundFlag(name, val string, limit int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || n < 1 || n > limit {
		return 0, usageErr("--%s %q: want a whole number from 1 to %d", name, val, limit)
	}
	return n, nil
}

func newLogger(e *env, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErr("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, usageErr("--log-format %q: want text or json", format)
}

// retention reads --retain for the given --store: "default" is the
// store's default (engine.DefaultMemoryRetainCount deliveries in
// memory, engine.DefaultSQLiteRetainAge in SQLite).
func retention(val, store string) (engine.Retention, error) {
	if strings.TrimSpace(val) == "default" {
		if store == "memory" {
			return engine.Retention{MaxCount: engine.DefaultMemoryRetainCount}, nil
		}
		return engine.Retention{MaxAge: engine.DefaultSQLiteRetainAge}, nil
	}
	r, err := engine.ParseRetention(val)
	if err != nil {
		return r, usageErr("--retain: %v", err)
	}
	return r, nil
}

// openSQLite opens the SQLite delivery log at path as serve and bench use
// it: segmented as retention ret prunes it best (sqlite.SegmentsFor), so
// that retention drops whole segments rather than rows.
func openSQLite(path string, ret engine.Retention) (*sqlite.Segmented, error) {
	return sqlite.OpenSegmented(path, sqlite.SegmentsFor(ret))
}
