package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

func init() {
	register("version", "print the version: module version, VCS commit, Go version (also --version)", runVersion)
}

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags("version", "", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, versionText(bi))
	return nil
}

// versionText is the version line from the build info: "esimhooks
// v1.2.0 (commit 78c8a67c0ffe, 2026-12-03T13:00:00Z) go1.26.8 linux/amd64".
// A build from a work tree says "(devel)" and, with uncommitted changes,
// "+dirty" after the commit; go run and go test record no commit ("commit
// unknown"). bi may be nil (a binary built without module support).
func versionText(bi *debug.BuildInfo) string {
	version, goVersion := "(devel)", runtime.Version()
	settings := map[string]string{}
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
	}
	commit := "commit unknown"
	if rev := settings["vcs.revision"]; rev != "" {
		commit = "commit " + rev[:min(12, len(rev))]
		if settings["vcs.modified"] == "true" {
			commit += "+dirty"
		}
		if t := settings["vcs.time"]; t != "" {
			commit += ", " + t
		}
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if os, arch := settings["GOOS"], settings["GOARCH"]; os != "" && arch != "" {
		platform = os + "/" + arch
	}
	return strings.Join([]string{"esimhooks", version, "(" + commit + ")", goVersion, platform}, " ")
}
