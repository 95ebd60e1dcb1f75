package filemap

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestMapsReadAndCopyOnWriteLeavesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	want := bytes.Repeat([]byte("redoubt "), 1000)
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	ro, err := ReadOnly(f, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ro, want[:100]) {
		t.Fatalf("ReadOnly read %q", ro)
	}
	if err := Unmap(ro); err != nil {
		t.Fatal(err)
	}

	cow, err := CopyOnWrite(f, len(want))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cow, want) {
		t.Fatal("CopyOnWrite read other bytes than the file's")
	}
	cow[0] = 'X'
	if err := Unmap(cow); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("a write to the CopyOnWrite mapping reached the file")
	}
}
