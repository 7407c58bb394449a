package digestfile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signoff/signoff/internal/digestfile"
	"github.com/signoff/signoff/internal/signoff"
)

func TestKeepAppendsAndDigestsReadsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.digests")
	f := digestfile.New(path)

	if ds, err := f.Digests(ctx); err != nil || len(ds) != 0 {
		t.Fatalf("missing file: got %v, %v; want no digests and no error", ds, err)
	}
	if _, ok, err := f.Last(ctx); ok || err != nil {
		t.Fatalf("missing file: Last = %v, %v; want none", ok, err)
	}

	taken := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	want := []signoff.Digest{
		{Seq: 3, Hash: strings.Repeat("a", 64), Taken: taken},
		{Seq: 9, Hash: strings.Repeat("b", 64), Taken: taken.Add(time.Minute)},
	}
	for _, d := range want {
		if err := f.Keep(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.Digests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d digests, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Seq != want[i].Seq || got[i].Hash != want[i].Hash || !got[i].Taken.Equal(want[i].Taken) {
			t.Errorf("digest %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	last, ok, err := f.Last(ctx)
	if err != nil || !ok || last.Seq != 9 {
		t.Errorf("Last = %+v, %v, %v; want seq 9", last, ok, err)
	}
}

func TestADamagedLineIsAnErrorNotSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.digests")
	good := signoff.Digest{Seq: 1, Hash: strings.Repeat("c", 64), Taken: time.Now()}.Line()
	if err := os.WriteFile(path, []byte(good+"\n\nSIGNOFF-DIGEST v1 n=2 h=zz t=now\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := digestfile.New(path).Digests(context.Background())
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v; want one naming line 3", err)
	}
}
