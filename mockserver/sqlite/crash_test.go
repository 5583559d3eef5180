//go:build unix

package sqlite

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// crashEnv names the database file TestCrashChild writes to; TestCrash sets
// it when it runs this test binary as the child. crashSegmentsEnv, set,
// makes the log a Segmented one with segments of that many deliveries.
const (
	crashEnv         = "ESIMHOOKS_SQLITE_CRASH_DB"
	crashSegmentsEnv = "ESIMHOOKS_SQLITE_CRASH_SEGMENTS"
)

// openCrashLog opens the log of TestCrash: a Store, or a Segmented log
// with segments of size deliveries (0: a Store).
func openCrashLog(path string, size int) (engine.Store, error) {
	if size > 0 {
		return OpenSegmented(path, SegmentOptions{Size: size})
	}
	return Open(path)
}

// TestCrash runs a child process that writes deliveries and attempts from
// several goroutines and reports each write that returned on stdout, kills
// it with SIGKILL while it writes, and checks that the reopened log holds
// every reported write: a Store, and a Segmented log whose segments of 37
// fill every few dozen writes (a kill may come while one is made).
func TestCrash(t *testing.T) {
	for _, size := range []int{0, 37} {
		t.Run(fmt.Sprintf("segments=%d", size), func(t *testing.T) { testCrash(t, size) })
	}
}

func testCrash(t *testing.T, size int) {
	const before = 400 // writes reported before the kill
	path := filepath.Join(t.TempDir(), "log.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, fmt.Sprintf("%s=%d", crashSegmentsEnv, size))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	put, attempted := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(stdout)
	read := func() bool {
		if !sc.Scan() {
			return false
		}
		what, id, _ := strings.Cut(sc.Text(), " ")
		switch what {
		case "put":
			put[id] = true
		case "attempt":
			attempted[id] = true
		}
		return true
	}
	for len(put)+len(attempted) < before && read() {
	}
	if len(put)+len(attempted) < before {
		_ = cmd.Wait()
		t.Fatalf("the child stopped after %d writes: %v\n%s", len(put)+len(attempted), sc.Err(), stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	// Writes reported before the kill took effect count too.
	n := len(put) + len(attempted)
	for read() {
	}
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed by SIGKILL: %v\n%s", err, stderr.String())
	}
	t.Logf("child killed after %d reported writes (%d when the kill was sent)", len(put)+len(attempted), n)

	s, err := openCrashLog(path, size)
	if err != nil {
		t.Fatalf("Open after the crash: %v", err)
	}
	defer s.Close()
	if l, ok := s.(*Segmented); ok && l.Segments() < 2 {
		t.Errorf("%d deliveries in %d segments of %d: the test made no new segment", len(put), l.Segments(), size)
	}
	ctx := t.Context()
	for id := range put {
		if _, err := s.GetDelivery(ctx, id); err != nil {
			t.Errorf("delivery %s, reported put, is lost: %v", id, err)
		}
	}
	for id := range attempted {
		d, err := s.GetDelivery(ctx, id)
		if err != nil || d.Attempts != 1 || d.State != engine.StateDelivered {
			t.Errorf("delivery %s, reported attempted, = %+v, %v; want delivered after 1 attempt", id, d, err)
			continue
		}
		if list, err := s.ListAttempts(ctx, id); err != nil || len(list) != 1 {
			t.Errorf("attempts of %s, reported attempted = %d, %v; want 1", id, len(list), err)
		}
	}
}

// TestCrashChild is TestCrash's child process; it is skipped unless crashEnv
// is set. It writes until it is killed, or until stdout breaks.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("the child process of TestCrash")
	}
	size, _ := strconv.Atoi(os.Getenv(crashSegmentsEnv))
	s, err := openCrashLog(path, size)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var mu sync.Mutex
	report := func(what, id string) bool {
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(os.Stdout, "%s %s\n", what, id)
		return err == nil
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1_000_000 {
				id := fmt.Sprintf("g%d-%07d", g, i)
				now := time.Now()
				d := &engine.Delivery{ID: id, EndpointID: "ep1", Provider: "airalo", Event: "order.completed",
					Body: bytes.Repeat([]byte{byte(i)}, 512), State: engine.StatePending, CreatedAt: now, NextAttemptAt: now}
				if err := s.PutDelivery(ctx, d); err != nil {
					t.Error(err)
					return
				}
				if !report("put", id) {
					return
				}
				d.State, d.Attempts, d.NextAttemptAt = engine.StateDelivered, 1, time.Time{}
				a := &engine.Attempt{DeliveryID: id, N: 1, StartedAt: now, Status: 200, Success: true,
					RequestBody: d.Body, ResponseBody: []byte("ok"), Outcome: engine.StateDelivered}
				if err := s.AddAttempt(ctx, a, d); err != nil {
					t.Error(err)
					return
				}
				if !report("attempt", id) {
					return
				}
			}
		})
	}
	wg.Wait()
}
