// Package replication holds end-to-end tests of replication between
// Redoubt and the reference redis-server 7.0: full and partial
// resynchronisation (PSYNC), the replicated command stream, PSYNC2 after
// a promotion, chained replicas, a replica restarted from its RDB, and
// what a replica answers (READONLY, ROLE, WAIT) and does not do (expire
// keys itself). It has no code of its own: the tests are the point.
//
// Every scenario runs as real processes on loopback ports, each over a
// directory of its own, once per combination of primary and replica kind:
// redis->redis, redis->redoubt, redoubt->redis and redoubt->redoubt. The
// all-Redis runs validate the tests themselves and need no Redoubt build:
//
//	go test ./replication/ -run '/redis->redis' -v
//
// redoubt-server is built once per test binary, on first use. The tests
// need redis-server on the PATH and fail, never skip, without it. A
// failure reports, besides what differed, every server's INFO replication
// and the tail of its log.
package replication
