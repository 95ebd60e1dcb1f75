package hash

import (
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/ziplist"
	"github.com/redoubt-db/redoubt/zipmap"
)

// Hashes from older Redis versions: a ziplist of fields and values (2.6
// to 6.2) or a zipmap (up to 2.4), converted on load as Redis 7.0's
// rdbLoadObject converts them. Both are checked in depth whatever
// sanitize-dump-payload says, as Redis checks them, and a field present
// twice is refused, as there.
//
// An empty ziplist is an empty key (listpackValue): refused in RESTORE
// and skipped in a file, as Redis 7.0 does. An empty zipmap fails
// everywhere, in Redis as here.

// loadZiplist reads a ziplist of fields and values. The listpack it
// becomes is what Redis's lpAppend makes of each entry; its encoding
// follows hash-max-listpack-entries only, as in Redis.
func loadZiplist(ks *keyspace.Keyspace, cfg *config.Values, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	lp := ziplist.Load(d)
	if lp == nil {
		return 0, 0, false
	}
	return listpackValue(ks, cfg, lp, d)
}

// loadZipmap reads a zipmap. Unlike a ziplist, a zipmap with a field or
// value longer than hash-max-listpack-value becomes a table, as Redis
// converts it; so does one with more than hash-max-listpack-entries
// fields. A pair that would take a listpack past its safety size is
// refused, as Redis refuses it.
func loadZipmap(ks *keyspace.Keyspace, cfg *config.Values, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	s := d.String()
	if d.Err() != nil {
		return 0, 0, false
	}
	lp := listpack.New()
	seen := make(map[string]struct{})
	maxLen, bad := 0, false
	err := zipmap.ForEach(s, func(field, value []byte) bool {
		if _, dup := seen[string(field)]; dup || !listpack.SafeToAdd(lp, len(field)+len(value)) {
			bad = true
			return false
		}
		seen[string(field)] = struct{}{}
		maxLen = max(maxLen, len(field), len(value))
		lp = listpack.Append(listpack.Append(lp, field), value)
		return true
	})
	if err != nil || bad {
		d.Fail()
		return 0, 0, false
	}
	a := ks.Arena
	if int64(len(seen)) > cfg.HashMaxListpackEntries || int64(maxLen) > cfg.HashMaxListpackValue {
		return keyspace.EncHashtable, ks.NewObject(tableOf(a, lp)), true
	}
	return keyspace.EncListpack, uint64(a.New(lp)), true
}
