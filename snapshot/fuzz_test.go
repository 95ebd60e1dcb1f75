package snapshot_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/snapshot"
)

// seedFile is an RDB file with strings, an expiry and two databases.
func seedFile(t testing.TB) []byte {
	ks := keyspace.New(16)
	for i := range 20 {
		db := ks.DBs[i%2]
		e, v := ks.StringValue([]byte("value " + strconv.Itoa(i*i)))
		id := db.Add([]byte("key:"+strconv.Itoa(i)), keyspace.KindString, e, v)
		if i%3 == 0 {
			db.SetExpire(id, 4102444800000)
		}
	}
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, ks, &config.New().Values, snapshot.Info{Version: "7.0.15"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkRead loads a file: it must load or fail, never panic, and what it
// loads must save and load again.
func checkRead(t testing.TB, data []byte) {
	cfg := &config.New().Values
	ks, again := keyspace.New(16), keyspace.New(16)
	// Each keyspace maps its memory outside the Go heap.
	defer ks.Arena.Release()
	defer again.Arena.Release()
	if _, err := snapshot.Read(data, ks, cfg, snapshot.LoadOptions{}); err != nil {
		return
	}
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, ks, cfg, snapshot.Info{}); err != nil {
		t.Fatal(err)
	}
	if _, err := snapshot.Read(buf.Bytes(), again, cfg, snapshot.LoadOptions{}); err != nil {
		t.Fatalf("a loaded dataset does not load again after a save: %v", err)
	}
}

func TestReadRefusesDamage(t *testing.T) {
	data := seedFile(t)
	checkRead(t, data)
	for i := range data {
		checkRead(t, data[:i])
		b := bytes.Clone(data)
		b[i] ^= 0x41
		ks := keyspace.New(16)
		// Every single change is caught: by the checksum if not before.
		if _, err := snapshot.Read(b, ks, &config.New().Values, snapshot.LoadOptions{}); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
		ks.Arena.Release()
	}
}

func FuzzRead(f *testing.F) {
	f.Add(seedFile(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRead(t, data)
	})
}
