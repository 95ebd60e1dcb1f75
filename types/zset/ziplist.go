package zset

import (
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/ziplist"
)

// loadZiplist reads a sorted set as Redis versions before 7.0 wrote it: a
// ziplist of members and scores, the scores as integers or as the text of a double.
// It is checked in depth whatever sanitize-dump-payload says, converted
// to the listpack Redis 7.0's lpAppend makes of it, and then held to a
// sorted set listpack's rules: unique members (Redis refuses a duplicate
// too), and scores that are numbers in order (Redis does not look, see
// rdb.go). Its encoding follows zset-max-listpack-entries only, as in
// Redis.
//
// An empty ziplist is an empty key (listpackValue): refused in RESTORE
// and skipped in a file, as Redis 7.0 does.
func loadZiplist(ks *keyspace.Keyspace, cfg *config.Values, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	lp := ziplist.Load(d)
	if lp == nil {
		return 0, 0, false
	}
	return listpackValue(ks, cfg, lp, d)
}
