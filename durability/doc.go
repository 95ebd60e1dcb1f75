// Package durability holds end-to-end tests of Redoubt's append-only
// file, run over TCP against the real redoubt-server binary (built once
// per test binary, in TestMain) and, for comparison, the reference
// redis-server 7.0.15 and its redis-check-aof. It has no code of its
// own: the tests are the point.
//
// What they establish:
//
//   - a crash (SIGKILL) loses no acknowledged write or transaction under
//     appendfsync always, even while automatic rewrites run, and under
//     everysec loses at most the writes of the window in which Redis
//     too replies before writing (crash_test.go, tx_test.go);
//   - after CONFIG SET appendonly yes and its first rewrite, a crash loses
//     nothing acknowledged (enable_test.go);
//   - a failed write to the file stops the server under always, and under
//     everysec makes it refuse writes until the file can be written again,
//     losing nothing it acknowledged (writeerror_test.go);
//   - a file torn by a crash is truncated and loaded (aof-load-truncated
//     yes) or refused, with Redis's messages, and "redoubt check-aof
//     --fix" cuts it where redis-check-aof does (torn_test.go); damage a
//     crash cannot explain is refused as Redis refuses it
//     (damaged_test.go);
//   - a crash in the middle of BGREWRITEAOF or BGSAVE leaves a directory
//     that loads with every acknowledged write and, after the restart, no
//     temporary files (rewrite_test.go);
//   - an AOF directory written by either server loads in the other with
//     the same dataset (interop_test.go, names_test.go), and a Redis 6
//     single appendonly.aof is upgraded as Redis 7.0 upgrades it
//     (upgrade_test.go);
//   - the drills of incidents 9 and 10 (drill_test.go): interrupted
//     rewrites pile up temporary files on Redis and Redoubt removes them
//     at its next start; on a full 64 MiB volume a rewrite or snapshot
//     that cannot fit is refused before a byte is written, writes get
//     Redis's MISCONF errors and come back with the space, and nothing
//     acknowledged is lost; a server started on an empty path, whose
//     volume's files then appear, writes its empty snapshot over them on
//     Redis and refuses to on Redoubt;
//   - the commands Redoubt appends to its incremental file are the bytes
//     Redis appends for the same commands, times masked, #TS: annotations
//     included (aofbytes_test.go).
//
// A SIGKILL leaves the kernel's page cache intact, so these tests check
// what the process holds when it dies (what it had written before
// replying), not what a power loss would take away with unsynced pages.
//
// The tests that compare with Redis need redis-server and redis-check-aof
// on the PATH and fail, never skip, without them; the full-disk drill
// mounts a tmpfs, which needs root (as CI runs). "go test -short" runs
// fewer crash rounds but every check.
package durability
