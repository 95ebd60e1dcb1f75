package datadir

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMarkerRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, m := range []marker{
		{dataset: strings.Repeat("ab", datasetBytes), updated: at},
		{dataset: strings.Repeat("0f", datasetBytes), node: "redoubt-0", updated: at, files: []record{
			{verb: verbWrote, kind: Snapshot, size: 4300000, at: at, name: "my dump.rdb"},
			{verb: verbFound, kind: AOF, size: 0, at: at, name: "appendonlydir/appendonly.aof.manifest"},
		}},
	} {
		got, err := parseMarker(m.encode())
		if err != nil {
			t.Fatalf("%s: %v", m.encode(), err)
		}
		if !reflect.DeepEqual(*got, m) {
			t.Errorf("got %+v\nwant %+v", *got, m)
		}
	}
}

func TestMarkerParseSkipsUnknownLines(t *testing.T) {
	ds := strings.Repeat("12", datasetBytes)
	m, err := parseMarker([]byte("# comment\nfuture-field 1 2 3\ndataset " + ds + "\n\n"))
	if err != nil || m.dataset != ds {
		t.Fatalf("got %+v, %v", m, err)
	}
}

func TestMarkerParseErrors(t *testing.T) {
	ds := "dataset " + strings.Repeat("12", datasetBytes) + "\n"
	for _, text := range []string{
		"",
		"node redoubt-0\n",
		"dataset xyz\n",
		"dataset " + strings.Repeat("AB", datasetBytes) + "\n", // IDs are written in lower case
		"dataset " + strings.Repeat("12", datasetBytes+1) + "\n",
		ds + ds,
		ds + "updated yesterday\n",
		ds + "wrote snapshot 12 2026-12-04T10:00:00Z\n",
		ds + "wrote snapshot -1 2026-12-04T10:00:00Z dump.rdb\n",
		ds + "wrote snapshot 12 noon dump.rdb\n",
		ds + "wrote journal 12 2026-12-04T10:00:00Z dump.rdb\n",
	} {
		if m, err := parseMarker([]byte(text)); err == nil {
			t.Errorf("%q parsed as %+v", text, m)
		}
	}
}

func TestWriteMarkerReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	m := marker{dataset: strings.Repeat("ab", datasetBytes), node: "n1", updated: time.Unix(1e9, 0)}
	for _, node := range []string{"n1", "n2"} {
		m.node = node
		if err := writeMarker(dir, &m); err != nil {
			t.Fatal(err)
		}
		got, err := readMarker(dir)
		if err != nil || got.node != node {
			t.Fatalf("read back %+v, %v", got, err)
		}
		// Nothing but the marker: the temporary file was renamed.
		if names := listDir(t, dir); !reflect.DeepEqual(names, []string{MarkerName}) {
			t.Fatalf("directory holds %v", names)
		}
	}
}

func TestReadMarkerErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := readMarker(dir); !os.IsNotExist(err) {
		t.Errorf("no marker: got %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, MarkerName), []byte("garbage\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := readMarker(dir)
	if _, ok := err.(*markerError); !ok || !strings.Contains(err.Error(), filepath.Join(dir, MarkerName)) {
		t.Errorf("garbage: got %v", err)
	}
}
