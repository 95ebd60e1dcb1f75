package keyspace_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

func TestCopyTo(t *testing.T) {
	ks := keyspace.New(2)
	ks.SetEnv(&keyspace.Clock{T: 1000})
	src, dst := ks.DBs[0], ks.DBs[1]
	var buf [20]byte
	for _, val := range []string{"12", "-5", "hello", "a string longer than forty-four bytes, so raw"} {
		id := src.SetString([]byte("k"), []byte(val), false)
		src.SetExpire(id, 5000)
		for _, to := range []*keyspace.DB{src, dst} {
			nid := src.CopyTo(id, to, []byte("copy"))
			if got := string(to.String(nid, buf[:])); got != val {
				t.Errorf("copy of %q holds %q", val, got)
			}
			if to.Encoding(nid) != src.Encoding(id) || to.Kind(nid) != keyspace.KindString {
				t.Errorf("copy of %q: %v %v, source %v", val, to.Kind(nid), to.Encoding(nid), src.Encoding(id))
			}
			if to.Expire(nid) != 5000 {
				t.Errorf("copy of %q: deadline %d", val, to.Expire(nid))
			}
			// The copy is independent: changing it leaves the source alone.
			b := to.MutableString(nid, 3)
			copy(b, "xyz")
			if got := string(src.String(id, buf[:])); got != val {
				t.Errorf("source %q became %q", val, got)
			}
			to.Delete(nid)
		}
		src.Persist(id)
		nid := src.CopyTo(id, dst, []byte("nottl"))
		if dst.Expire(nid) != -1 {
			t.Errorf("copy of a key without TTL has deadline %d", dst.Expire(nid))
		}
		dst.Delete(nid)
	}
}

func TestExpireIfNeeded(t *testing.T) {
	ks := keyspace.New(1)
	var expired []string
	clock := &keyspace.Clock{T: 1000, OnExpired: func(db *keyspace.DB, key []byte) { expired = append(expired, string(key)) }}
	ks.SetEnv(clock)
	db := ks.DBs[0]
	live := db.SetString([]byte("live"), []byte("v"), false)
	db.SetExpire(live, 1000) // expires when now passes 1000
	plain := db.SetString([]byte("plain"), []byte("v"), false)
	if db.Expired(live) || db.ExpireIfNeeded(live) || db.Expired(plain) || db.ExpireIfNeeded(plain) {
		t.Fatal("a key at or before its deadline counts as expired")
	}
	clock.T = 1001
	if !db.Expired(live) {
		t.Fatal("a key past its deadline is not expired")
	}
	if db.Len() != 2 {
		t.Fatal("Expired deleted the key")
	}
	ks.Replica = true
	if !db.ExpireIfNeeded(live) || db.Find([]byte("live")) == dict.None {
		t.Fatal("on a replica ExpireIfNeeded must report the key expired and keep it")
	}
	ks.Replica = false
	if !db.ExpireIfNeeded(live) || db.Find([]byte("live")) != dict.None {
		t.Fatal("ExpireIfNeeded did not delete the expired key")
	}
	if len(expired) != 1 || expired[0] != "live" || ks.Stats.ExpiredKeys != 1 {
		t.Errorf("expired hook calls %q, ExpiredKeys %d", expired, ks.Stats.ExpiredKeys)
	}
}
