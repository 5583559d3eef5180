// Command receiver runs the example webhook receiver: a correct receiver for
// one provider variant, with the conformance probe.
//
//	go run ./examples/receiver --provider esimfly [--variant 2026-04] --secret S [--addr 127.0.0.1:9000]
//
// It serves the webhook at /hook and the probe at /probe, and prints both
// URLs. The secret may come from the environment variable RECEIVER_SECRET
// instead of the command line; RECEIVER_PROVIDER, RECEIVER_VARIANT and
// RECEIVER_ADDR stand in for the other flags, as for the receiver kits in
// examples/receivers. Stop it with Ctrl-C.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "receiver:", err)
		os.Exit(2)
	}
}

// run parses args, serves until ctx is done, and shuts down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	provider := fs.String("provider", os.Getenv("RECEIVER_PROVIDER"), "provider name, e.g. esimfly (or esimfly@2026-04) (default: $RECEIVER_PROVIDER)")
	variant := fs.String("variant", os.Getenv("RECEIVER_VARIANT"), "provider variant (default: $RECEIVER_VARIANT, else the provider's default)")
	secret := fs.String("secret", "", "signing secret (default: $RECEIVER_SECRET)")
	addr := fs.String("addr", cmp.Or(os.Getenv("RECEIVER_ADDR"), "127.0.0.1:9000"), "address to listen on (default: $RECEIVER_ADDR)")
	maxBody := fs.Int64("max-body", receiver.DefaultMaxBody, "body cap in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		// Read after parsing, so that -help never prints the secret.
		*secret = os.Getenv("RECEIVER_SECRET")
	}
	if *provider == "" {
		return errors.New("--provider is required")
	}
	cat, err := providers.Builtin()
	if err != nil {
		return err
	}
	v, err := cat.Variant(*provider, *variant)
	if err != nil {
		return err
	}
	rcv, err := receiver.New(receiver.Config{
		Variant: v, Secret: *secret, MaxBody: *maxBody,
		Log: slog.New(slog.NewTextHandler(stderr, nil)),
	})
	if err != nil {
		return err
	}
	defer rcv.Close()

	mux := http.NewServeMux()
	mux.Handle("/hook", rcv)
	mux.Handle(receiver.ProbePrefix+"/", http.StripPrefix(receiver.ProbePrefix, rcv.ProbeHandler()))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "receiving %s webhooks\nwebhook: %s/hook\nprobe:   %s%s\n", v.ID(), base, base, receiver.ProbePrefix)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
