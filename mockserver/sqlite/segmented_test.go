package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/mockserver/storetest"
)

// TestSegmentedStore runs the store suite on segmented logs: with
// segments of 16 deliveries, so that every list fans out over many
// files and every write finds its delivery's file (of 64 for the two
// tests that put a thousand deliveries in a random order of creation,
// where every segment spans them all); and, for retention, with segments
// of one delivery each, so that dropping whole segments is as exact as
// the suite asks (with larger ones it is coarser, by design).
func TestSegmentedStore(t *testing.T) {
	prune := func(name string) bool { return strings.HasPrefix(name, "Prune/") }
	many := func(name string) bool { return name == "ListDeliveries/Limit" || name == "ListDeliveries/Pagination" }
	for _, c := range []struct {
		size     int
		selected func(string) bool
	}{
		{16, func(name string) bool { return !prune(name) && !many(name) }},
		{64, many},
		{1, prune},
	} {
		t.Run(fmt.Sprintf("Size%d", c.size), func(t *testing.T) {
			storetest.RunSelected(t, func(t *testing.T) engine.Store {
				return openSegmented(t, filepath.Join(t.TempDir(), "log.db"), SegmentOptions{Size: c.size})
			}, c.selected)
		})
	}
}

// TestSegmentedOneFile runs it on a segmented log that never fills a
// segment: everything stays in the main file.
func TestSegmentedOneFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) engine.Store {
		s := openSegmented(t, filepath.Join(t.TempDir(), "log.db"), SegmentOptions{})
		if n := s.Segments(); n != 0 {
			t.Errorf("Segments() = %d without options, want 0", n)
		}
		return s
	})
}

// openSegmented opens a segmented log; the caller closes it.
func openSegmented(t testing.TB, path string, opt SegmentOptions) *Segmented {
	t.Helper()
	s, err := OpenSegmented(path, opt)
	if err != nil {
		t.Fatalf("OpenSegmented: %v", err)
	}
	return s
}

// putSeg puts delivery i of a segmented test log, created i ms after
// segEpoch, with one attempt after which it is in state.
func putSeg(t testing.TB, s engine.Store, i int, state string) *engine.Delivery {
	t.Helper()
	ctx := t.Context()
	d := benchDelivery(benchID(i))
	d.CreatedAt = segEpoch.Add(time.Duration(i) * time.Millisecond)
	if err := s.PutDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Attempts, d.State = 1, state
	if err := s.AddAttempt(ctx, benchAttempt(d, 1), d); err != nil {
		t.Fatal(err)
	}
	return d
}

var segEpoch = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// segmentFiles returns the names of the segment files and drop markers of
// the log at path.
func segmentFiles(t testing.TB, path string) []string {
	t.Helper()
	ents, err := os.ReadDir(path + ".segments")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if ext := filepath.Ext(e.Name()); ext == segmentSuffix || ext == dropSuffix {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestSegmentedPruneKeepsPending: segments of four; pruning to the newest
// four drops the old segments whole, copying their pending delivery and
// the copy of its trigger, with their attempts, into the newest.
func TestSegmentedPruneKeepsPending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openSegmented(t, path, SegmentOptions{Size: 4})
	defer s.Close()
	ctx := t.Context()
	var all []*engine.Delivery
	for i := range 12 {
		state := engine.StateDelivered
		if i == 1 {
			state = engine.StatePending
		}
		all = append(all, putSeg(t, s, i, state))
	}
	// d2 is another endpoint's copy of d1's trigger: kept with it.
	c := all[2]
	c.EventID, c.CreatedAt = all[1].EventID, all[1].CreatedAt
	if err := s.PutDelivery(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := s.Segments(); got != 3 {
		t.Fatalf("12 deliveries in segments of 4: %d segments, want 3", got)
	}
	res, err := s.Prune(ctx, engine.PruneRule{Keep: 4})
	if err != nil {
		t.Fatal(err)
	}
	// Segment 1 (d0-d3) loses d0 and d3; segment 2 (d4-d7), all four;
	// the newest (d8-d11, full) stays: dropping it would leave 2.
	if want := (engine.PruneResult{Deliveries: 6, Attempts: 6}); res != want {
		t.Errorf("Prune(Keep 4) = %+v, want %+v", res, want)
	}
	list, err := s.ListDeliveries(ctx, engine.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range list {
		ids = append(ids, d.ID)
	}
	want := []string{benchID(11), benchID(10), benchID(9), benchID(8), benchID(2), benchID(1)}
	if !slices.Equal(ids, want) {
		t.Errorf("after Prune the log lists %v, want %v", ids, want)
	}
	for _, d := range all[1:3] {
		atts, err := s.ListAttempts(ctx, d.ID)
		if err != nil || len(atts) != 1 {
			t.Errorf("ListAttempts(%s) after its copy = %d attempts, %v; want 1", d.ID, len(atts), err)
		}
		got, err := s.GetDelivery(ctx, d.ID)
		if err != nil || got.LastAttempt == nil || got.State != d.State {
			t.Errorf("GetDelivery(%s) after its copy = %+v, %v", d.ID, got, err)
		}
	}
	if got := segmentFiles(t, path); !slices.Equal(got, []string{"000003.db", "000004.db"}) {
		t.Errorf("segment files after Prune: %v, want the newest two (a new one took the copies)", got)
	}
	sz, err := s.LogSize(ctx)
	if err != nil || sz.Deliveries != 6 || sz.Attempts != 6 || sz.Files != 3 {
		t.Errorf("LogSize = %+v, %v; want 6 deliveries and 6 attempts in 3 files (the main one and two segments)", sz, err)
	}
	// The pending delivery's next attempt finds its copy.
	d := all[1]
	d.Attempts, d.State = 2, engine.StateDelivered
	if err := s.AddAttempt(ctx, benchAttempt(d, 2), d); err != nil {
		t.Fatal(err)
	}
	if atts, err := s.ListAttempts(ctx, d.ID); err != nil || len(atts) != 2 {
		t.Errorf("ListAttempts(%s) after a second attempt: %d, %v; want 2", d.ID, len(atts), err)
	}
	if sz, _ := s.LogSize(ctx); sz.Deliveries != 6 {
		t.Errorf("LogSize after the attempt: %d deliveries, want 6 (none twice)", sz.Deliveries)
	}
}

// TestSegmentedReopen: a log of several segments opens again with every
// delivery, and a write for an old delivery replaces it in its segment.
func TestSegmentedReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openSegmented(t, path, SegmentOptions{Size: 3})
	for i := range 10 {
		putSeg(t, s, i, engine.StateDelivered)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSegmented(t, path, SegmentOptions{Size: 3})
	defer s.Close()
	if got := s.Segments(); got != 4 {
		t.Errorf("reopened with %d segments, want 4", got)
	}
	d := putSeg(t, s, 0, engine.StateFailed) // replaces d0 in segment 1
	if sz, _ := s.LogSize(t.Context()); sz.Deliveries != 10 {
		t.Errorf("LogSize after replacing d0: %d deliveries, want 10", sz.Deliveries)
	}
	got, err := s.GetDelivery(t.Context(), d.ID)
	if err != nil || got.State != engine.StateFailed {
		t.Errorf("GetDelivery(d0) = %+v, %v; want it failed", got, err)
	}
}

// TestSegmentedFinishesDrop: a drop marker left by a crash makes the next
// Open finish the drop, copying the pending delivery once.
func TestSegmentedFinishesDrop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openSegmented(t, path, SegmentOptions{Size: 2})
	putSeg(t, s, 0, engine.StatePending)
	putSeg(t, s, 1, engine.StateDelivered)
	putSeg(t, s, 2, engine.StateDelivered)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The crash came after the marker, and after the copy of d0.
	if err := os.WriteFile(filepath.Join(path+".segments", "000001"+dropSuffix), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s = openSegmented(t, path, SegmentOptions{Size: 2})
	defer s.Close()
	if got := segmentFiles(t, path); slices.Contains(got, "000001.db") || slices.Contains(got, "000001"+dropSuffix) {
		t.Errorf("segment files after Open: %v, want segment 1 and its marker gone", got)
	}
	list, err := s.ListDeliveries(t.Context(), engine.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range list {
		ids = append(ids, d.ID)
	}
	if want := []string{benchID(2), benchID(0)}; !slices.Equal(ids, want) {
		t.Errorf("after Open the log lists %v, want %v", ids, want)
	}
	if p, err := s.Pending(t.Context()); err != nil || len(p) != 1 {
		t.Errorf("Pending after Open: %d, %v; want d0", len(p), err)
	}
}

// TestSegmentsFor checks the segment sizes retention gets.
func TestSegmentsFor(t *testing.T) {
	for _, c := range []struct {
		ret  engine.Retention
		want SegmentOptions
	}{
		{engine.Retention{}, SegmentOptions{}},
		{engine.Retention{MaxCount: 10000}, SegmentOptions{Size: 2500}},
		{engine.Retention{MaxCount: 100}, SegmentOptions{Size: MinSegmentSize}},
		{engine.Retention{MaxAge: engine.DefaultSQLiteRetainAge}, SegmentOptions{Span: engine.DefaultSQLiteRetainAge / 8}},
		{engine.Retention{MaxAge: 2 * time.Second, MaxCount: 40000}, SegmentOptions{Size: 10000, Span: MinSegmentSpan}},
	} {
		if got := SegmentsFor(c.ret); got != c.want {
			t.Errorf("SegmentsFor(%v) = %+v, want %+v", c.ret, got, c.want)
		}
	}
}

// TestSegmentedPruneWhileWriting drops segments while eight writers put
// deliveries and record their attempts and a reader lists and reads them.
// A tenth of the deliveries stay pending, and get a second (failed)
// attempt later, so that drops copy them forward while they are written.
// When the pruner stops, each of those is there once with both attempts,
// and a third finds it; the log then prunes to what the rule asks, within
// a segment, with no delivery twice.
func TestSegmentedPruneWhileWriting(t *testing.T) {
	const (
		writers, each = 8, 150
		size, keep    = 16, 64
	)
	s := openSegmented(t, filepath.Join(t.TempDir(), "log.db"), SegmentOptions{Size: size})
	defer s.Close()
	ctx := t.Context()
	attempt := func(d *engine.Delivery, n int, state string) error {
		d.Attempts, d.State = n, state
		return s.AddAttempt(ctx, benchAttempt(d, n), d)
	}
	done := make(chan struct{})
	var bg sync.WaitGroup
	bgErr := make(chan error, 2)
	// loop runs step until done is closed or it fails.
	loop := func(step func() error) {
		bg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := step(); err != nil {
					bgErr <- err
					return
				}
			}
		})
	}
	loop(func() error { // the pruner
		if _, err := s.Prune(ctx, engine.PruneRule{Keep: keep}); err != nil {
			return fmt.Errorf("Prune: %w", err)
		}
		return nil
	})
	loop(func() error { // a reader
		page, err := s.ListDeliveries(ctx, engine.DeliveryFilter{Limit: 20})
		if err == nil && len(page) > 0 {
			_, err = s.ListAttempts(ctx, page[len(page)-1].ID)
		}
		if err != nil && !errors.Is(err, engine.ErrNotFound) { // pruned meanwhile
			return fmt.Errorf("reading: %w", err)
		}
		return nil
	})
	var wg sync.WaitGroup
	held := make([][]*engine.Delivery, writers)
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				d := benchDelivery(benchID(w*each + i))
				if errs[w] = s.PutDelivery(ctx, d); errs[w] != nil {
					return
				}
				if i%10 == 0 { // stays pending
					if errs[w] = attempt(d, 1, engine.StatePending); errs[w] != nil {
						return
					}
					held[w] = append(held[w], d)
				} else {
					for n, state := range []string{engine.StatePending, engine.StateDelivered} {
						if errs[w] = attempt(d, n+1, state); errs[w] != nil {
							return
						}
					}
				}
				if i%10 == 5 && i > 50 { // a retry, failed, of one held since
					if errs[w] = attempt(held[w][i/10-5], 2, engine.StatePending); errs[w] != nil {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	bg.Wait()
	close(bgErr)
	for err := range bgErr {
		t.Error(err)
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, list := range held {
		for _, d := range list {
			got, err := s.GetDelivery(ctx, d.ID)
			if err != nil || got.State != engine.StatePending || got.Attempts != d.Attempts {
				t.Errorf("GetDelivery(%s), kept while pending: %+v, %v; want it pending after %d attempts", d.ID, got, err, d.Attempts)
				continue
			}
			if atts, err := s.ListAttempts(ctx, d.ID); err != nil || len(atts) != d.Attempts {
				t.Errorf("ListAttempts(%s): %d attempts, %v; want %d", d.ID, len(atts), err, d.Attempts)
				for _, g := range s.snapshot() {
					gd, err := g.s.GetDelivery(ctx, d.ID)
					ga, _ := g.s.ListAttempts(ctx, d.ID)
					if err == nil {
						t.Logf("segment %d holds it: %d attempts said, %d on file, %s", g.n, gd.Attempts, len(ga), gd.State)
					}
				}
			}
			if err := attempt(d, d.Attempts+1, engine.StateDelivered); err != nil {
				t.Fatal(err)
			}
			if atts, err := s.ListAttempts(ctx, d.ID); err != nil || len(atts) != d.Attempts {
				t.Errorf("ListAttempts(%s) after its last attempt: %d attempts, %v; want %d", d.ID, len(atts), err, d.Attempts)
			}
		}
	}
	for more := true; more; {
		res, err := s.Prune(ctx, engine.PruneRule{Keep: keep})
		if err != nil {
			t.Fatal(err)
		}
		more = res.More
	}
	var ids []string
	for f := (engine.DeliveryFilter{Limit: maxLimit}); ; {
		page, err := s.ListDeliveries(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			ids = append(ids, d.ID)
		}
		if len(page) < maxLimit {
			break
		}
		f.Before = page[len(page)-1].ID
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	if dup := len(sorted) - len(slices.Compact(sorted)); dup > 0 {
		t.Errorf("the log lists %d deliveries twice", dup)
	}
	sz, err := s.LogSize(ctx)
	if err != nil || sz.Deliveries != int64(len(ids)) {
		t.Errorf("LogSize: %+v, %v; the log lists %d", sz, err, len(ids))
	}
	// Nothing is pending any more: the rule keeps the newest 64, and whole
	// segments (of 16, and a few more taken while one was found full).
	if n := len(ids); n < keep || n > keep+2*size {
		t.Errorf("after the last Prune the log holds %d deliveries, want %d to %d", n, keep, keep+2*size)
	}
}

// TestSegmentedDropsFullNewest: the newest segment, full, is dropped like
// any other, its pending delivery copied into a new one.
func TestSegmentedDropsFullNewest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openSegmented(t, path, SegmentOptions{Size: 2})
	defer s.Close()
	ctx := t.Context()
	d0 := putSeg(t, s, 0, engine.StatePending)
	putSeg(t, s, 1, engine.StateDelivered)
	res, err := s.Prune(ctx, engine.PruneRule{Before: segEpoch.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if want := (engine.PruneResult{Deliveries: 1, Attempts: 1}); res != want {
		t.Errorf("Prune(Before: after both) = %+v, want %+v", res, want)
	}
	if got := segmentFiles(t, path); !slices.Equal(got, []string{"000002.db"}) {
		t.Errorf("segment files: %v, want only the new segment 2", got)
	}
	if got, err := s.GetDelivery(ctx, d0.ID); err != nil || got.State != engine.StatePending {
		t.Errorf("GetDelivery(d0) = %+v, %v; want it pending", got, err)
	}
	putSeg(t, s, 2, engine.StateDelivered) // segment 2 takes it: d0 and d2
	if got := s.Segments(); got != 1 {
		t.Errorf("%d segments after one more delivery, want 1", got)
	}
}

// TestSegmentedClearsACutDrop: what a drop cut short after it removed the
// segment's database file left (its write-ahead log, its marker) is
// removed when the log opens, so that no later segment of that number
// meets the old log; files not of the log stay.
func TestSegmentedClearsACutDrop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	dir := path + ".segments"
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"000007.db-wal", "000007.db-shm", "000007.drop", "notes.txt", "7.db-wal"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := openSegmented(t, path, SegmentOptions{Size: 10})
	defer s.Close()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	// Segment 8 is the first: numbers are never reused.
	if want := []string{"000008.db", "000008.db-shm", "000008.db-wal", "7.db-wal", "notes.txt"}; !slices.Equal(names, want) {
		t.Errorf("after Open the directory holds %v, want %v", names, want)
	}
	putSeg(t, s, 0, engine.StateDelivered)
	if sz, err := s.LogSize(t.Context()); err != nil || sz.Deliveries != 1 {
		t.Errorf("LogSize = %+v, %v; want 1 delivery", sz, err)
	}
}

// TestSegmentedFileModes: the segments' directory is the owner's alone,
// and each segment's files are as the main file's (TestFileMode); a
// segments path that is not a directory is an error naming it.
func TestSegmentedFileModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openSegmented(t, path, SegmentOptions{Size: 1})
	defer s.Close()
	putSeg(t, s, 0, engine.StateDelivered)
	dir := path + ".segments"
	want := map[string]os.FileMode{dir: 0o700}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		want[filepath.Join(dir, "000001.db"+suffix)] = 0o600
	}
	for p, mode := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("stat: %v", err)
			continue
		}
		if m := fi.Mode().Perm(); m != mode {
			t.Errorf("%s has mode %o, want %o", filepath.Base(p), m, mode)
		}
	}

	bad := filepath.Join(t.TempDir(), "log.db")
	if err := os.WriteFile(bad+".segments", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err := OpenSegmented(bad, SegmentOptions{}); err == nil {
		l.Close()
		t.Error("OpenSegmented with a file for its segments' directory: no error")
	} else if !strings.Contains(err.Error(), bad+".segments") {
		t.Errorf("OpenSegmented with a file for its segments' directory: %v; want the path named", err)
	}
}

// TestSegmentedAllKeptBackoff: a segment holding only pending deliveries
// stays, and Prune leaves it alone for allKeptBackoff rather than reading
// its pending deliveries at every pass; after that, once they are final,
// it goes.
func TestSegmentedAllKeptBackoff(t *testing.T) {
	defer func(d time.Duration) { allKeptBackoff = d }(allKeptBackoff)
	allKeptBackoff = time.Hour
	s := openSegmented(t, filepath.Join(t.TempDir(), "log.db"), SegmentOptions{Size: 2})
	defer s.Close()
	ctx := t.Context()
	old := []*engine.Delivery{putSeg(t, s, 0, engine.StatePending), putSeg(t, s, 1, engine.StatePending)}
	putSeg(t, s, 2, engine.StateDelivered)
	rule := engine.PruneRule{Before: segEpoch.Add(time.Millisecond + time.Microsecond)} // selects segment 1
	prune := func(what string, want engine.PruneResult) {
		t.Helper()
		if res, err := s.Prune(ctx, rule); err != nil || res != want {
			t.Errorf("Prune %s = %+v, %v; want %+v", what, res, err, want)
		}
	}
	prune("with segment 1 all pending", engine.PruneResult{})
	for _, d := range old {
		d.Attempts, d.State = 2, engine.StateDelivered
		if err := s.AddAttempt(ctx, benchAttempt(d, 2), d); err != nil {
			t.Fatal(err)
		}
	}
	prune("within the back-off", engine.PruneResult{})
	if got := s.Segments(); got != 2 {
		t.Errorf("%d segments within the back-off, want 2", got)
	}
	s.segs[1].keptUntil = time.Time{} // as if it had passed
	prune("after the back-off", engine.PruneResult{Deliveries: 2, Attempts: 4})
}
