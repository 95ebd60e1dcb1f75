package datadir

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckSpaceRefusesWhatDoesNotFit(t *testing.T) {
	dir := t.TempDir()
	avail, err := Available(dir)
	if err != nil {
		t.Fatal(err)
	}
	if avail <= 0 {
		t.Fatalf("Available(%s) = %d", dir, avail)
	}
	// A petabyte more than there is: other writers on the machine cannot
	// make it fit between the two reads.
	need := avail + 1<<50
	err = CheckSpace(dir, need, "the snapshot")
	var se *SpaceError
	if !errors.As(err, &se) {
		t.Fatalf("CheckSpace(%d) = %v, want a *SpaceError", need, err)
	}
	if se.Dir != dir || se.Need != need || se.Avail <= 0 || se.Avail > need {
		t.Errorf("got %+v", se)
	}
	for _, want := range []string{dir, "the snapshot", humanBytes(need) + " needed", "available"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if err := CheckSpace(dir, 0, "the snapshot"); err != nil {
		t.Errorf("CheckSpace(0) = %v", err)
	}
}

func TestCheckSpaceOnMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nosuch")
	err := CheckSpace(dir, 1, "the AOF rewrite")
	var se *SpaceError
	if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("got %v, want a statfs error naming %s", err, dir)
	}
}

func TestSpaceErrorText(t *testing.T) {
	e := &SpaceError{Dir: "/data", What: "the snapshot", Need: 1288490189, Avail: 300 << 20}
	want := "not enough free disk space in /data to write the snapshot: about 1.2 GiB needed, 300 MiB available"
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
}

func TestNeedFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct{ previous, dataset, want int64 }{
		{0, 0, mib},                 // an empty dataset still needs the floor
		{-5, -5, mib},               // nonsense sizes count as none
		{1000, 0, 1100 + mib},       // the previous file alone
		{0, 1000, 1100 + mib},       // the dataset alone
		{2000, 1000, 2200 + mib},    // the larger of the two
		{1000, 2000, 2200 + mib},    // a grown dataset
		{10 << 30, 0, 11<<30 + mib}, // 10 GiB: 11 GiB and the floor
		{math.MaxInt64, 0, math.MaxInt64},
	} {
		if got := NeedFor(c.previous, c.dataset); got != c.want {
			t.Errorf("NeedFor(%d, %d) = %d, want %d", c.previous, c.dataset, got, c.want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1023, "1023 bytes"},
		{1024, "1.0 KiB"},
		{4300000, "4.1 MiB"},
		{300 << 20, "300 MiB"},
		{1288490189, "1.2 GiB"},
		{math.MaxInt64, "8.0 EiB"},
	} {
		if got := humanBytes(c.n); got != c.want {
			t.Errorf("humanBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
