package sqlite

import (
	"bytes"
	"testing"
)

// TestWalbufWritesEveryCommit puts deliveries of every size, up to one
// whose frames need several writes and more memory than the shim keeps,
// and checks after each that the read pool (other connections) sees it,
// and that walbufVFS wrote each commit's frames out at its commit frame:
// none was left for walWritten to write.
func TestWalbufWritesEveryCommit(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	late, commits := walLateFlushes.Load(), walbufCommits.Load()
	for i, size := range []int{0, 10, 1000, 5000, walbufChunk - 100, walbufChunk + 100, 3 * walbufKeep, 100} {
		d := benchDelivery(benchID(i))
		d.Body = bytes.Repeat([]byte{'a' + byte(i)}, size)
		if err := s.PutDelivery(ctx, d); err != nil {
			t.Fatalf("PutDelivery of a %d-byte body: %v", size, err)
		}
		got, err := s.GetDelivery(ctx, d.ID)
		if err != nil {
			t.Fatalf("GetDelivery after a %d-byte body: %v", size, err)
		}
		if !bytes.Equal(got.Body, d.Body) {
			t.Fatalf("the %d-byte body reads back as %d bytes", size, len(got.Body))
		}
	}
	if n := walLateFlushes.Load() - late; n != 0 {
		t.Errorf("walWritten had to write the frames of %d commits: walbufVFS missed their commit frames", n)
	}
	if n := walbufCommits.Load() - commits; n < 8 {
		t.Errorf("walbufVFS wrote %d commits' frames at their commit frame, want 8 at least", n)
	}
}
