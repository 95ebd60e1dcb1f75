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
// An empty ziplist is refused. Redis 7.0 refuses it too in RESTORE, but
// skips the key when it loads a file (an "empty key", see
// rdbLoadObject); Redoubt's loaders have no way yet to tell the file
// loader to skip rather than fail.
func loadZiplist(ks *keyspace.Keyspace, cfg *config.Values, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	s := d.String()
	if d.Err() != nil {
		return 0, 0, false
	}
	lp, err := ziplist.ToListpack(s)
	if err != nil {
		d.Fail()
		return 0, 0, false
	}
	return listpackValue(ks, cfg, lp, d)
}
