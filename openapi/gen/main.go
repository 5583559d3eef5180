// Command gen writes the OpenAPI 3.1 webhooks document of provider profiles
// (openapi.Generate): one <provider>.yaml per profile in the -out
// directory.
//
//	go run ./openapi/gen -out DIR                      every shipped profile
//	go run ./openapi/gen -profile-file acme.yaml -out DIR
//	go run ./openapi/gen -profile-file profiles/ -out DIR   every *.yaml profile of a directory
//
// -profile-file is repeatable and takes what esimhooks --profile-file
// takes (a file, or a directory laid out like the shipped profiles). Every
// document stands alone: a shipped profile's schemas are bundled as
// components, a user profile's are inlined.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/esimhooks/esimhooks/openapi"
	"github.com/esimhooks/esimhooks/providers"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	var files multi
	fs.Var(&files, "profile-file", "profile file or directory (repeatable); none: every shipped profile")
	out := fs.String("out", ".", "directory the documents are written to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var profs []*providers.Profile
	if len(files) == 0 {
		profs = providers.MustBuiltin().Profiles()
	}
	for _, f := range files {
		ps, err := providers.LoadPath(f)
		if err != nil {
			return fmt.Errorf("-profile-file %s: %w", f, err)
		}
		profs = append(profs, ps...)
	}
	if len(profs) == 0 {
		return errors.New("no profile to generate")
	}
	for _, p := range profs {
		data, err := openapi.Generate(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(*out, p.Name+".yaml"), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
