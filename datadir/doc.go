// Package datadir guards the data directory: what is in it, what may be
// written to it, and whether there is room. It is file logic only, with
// no server code; the server calls it at start-up and around every save.
//
// # Leftovers (incident 9)
//
// A save or an AOF rewrite writes a temporary file and renames it when
// done; a process killed half-way (OOM kill, SIGKILL, power loss) leaves
// the temporary file, and Redis never removes it, so interrupted rewrites
// pile up until the disk is full. Clean removes them at start-up, before
// anything is loaded: Redis's temp-<pid>.rdb, temp-<unixtime>.<pid>.rdb,
// temp-rewriteaof-<pid>.aof, temp-rewriteaof-bg-<pid>.aof,
// temp-<appendfilename>.incr and temp-<appendfilename>.manifest, Redoubt's
// temp-bg-<pid>.rdb, and this package's own temp-redoubt-identity-<pid>.
// A file whose name carries the PID of a live process other than the
// server is spared: another server may share the directory.
//
// # Free space (incident 9)
//
// CheckSpace compares what a write needs with what statfs (on Windows,
// GetDiskFreeSpaceEx) says is free, and NeedFor estimates the need of a
// snapshot or an AOF base. The server checks before a snapshot or a
// rewrite starts, so that a write that cannot fit fails at once with a
// message saying so, instead of filling the disk (which also starves the
// AOF's appends) and failing later.
//
// # Identity (incident 10)
//
// A server that starts on an empty path where its volume should be
// mounted finds no data, starts empty, and at its next save writes an
// empty snapshot; if the real volume is mounted there meanwhile, that
// snapshot replaces the real one. An identity marker, a small text file
// named redoubt-identity in dir, makes the directory say which dataset it
// holds:
//
//	# Redoubt data directory identity: see package datadir.
//	# Remove this file (server stopped) to adopt the files here at the next start.
//	dataset 5f0c1e2a9b7d4c3e8a6f1b2c3d4e5f60
//	node redoubt-0
//	updated 2026-12-04T10:00:00Z
//	wrote snapshot 4300000 2026-12-04T10:00:00Z dump.rdb
//	wrote aof 1200000 2026-12-04T09:00:00Z appendonlydir/appendonly.aof.manifest
//
// The dataset ID is random, made when a directory is first used; the node
// is the node-name of the server that last wrote; each file line is the
// last file of its kind the node wrote (or, "found" instead of "wrote",
// that it adopted), its size and time. The size of an AOF is the total
// size of the base and incremental files its manifest names.
//
// Open reads the marker at start-up, before loading:
//
//   - no marker and no data file: a fresh directory, given a new dataset
//     ID (Fresh);
//   - no marker but data files (written by Redis or an older Redoubt):
//     they are adopted under a new dataset ID (Adopted);
//   - a marker that matches: its dataset ID is kept (Matched);
//   - a marker that does not match (another node's name, or a file it
//     lists missing, empty, or under a tenth of its recorded size when that
//     was at least 64 KiB, or a marker that cannot be read): a Finding that
//     says what was found, and nothing is written. The server refuses to
//     start; with the guard off it logs the finding and calls Accept, which
//     adopts the directory as it is under a new dataset ID.
//
// Before every snapshot, AOF base or manifest write the server calls
// CheckBeforeWrite, which reads the marker again: if it now names another
// dataset (a volume was mounted over the directory), or it is gone while
// a data file the server neither loaded nor wrote is there, the write
// would replace data that is not the server's, and it returns an error
// wrapping ErrDirChanged; the server refuses the write, keeps the old
// file and logs why. After a successful write the server calls Wrote.
//
// Removing redoubt-identity (with the server stopped) makes the next
// start adopt whatever files are in the directory.
//
// # Configuration
//
// The server reads two directives for this package:
//
//	node-name <name>        default "" (unset). The node's name, recorded
//	                        in the marker; when both it and the marker's
//	                        are set they must match, so a volume attached
//	                        to the wrong node is refused. A name without
//	                        spaces or control characters; set at start-up
//	                        only (in Kubernetes: the pod's name).
//	datadir-guard yes|no    default yes. yes: a Finding at start-up makes
//	                        the server refuse to start; a CheckBeforeWrite
//	                        error or a CheckSpace error makes it refuse
//	                        that write (counted as a failed save, so
//	                        stop-writes-on-bgsave-error applies). no: the
//	                        same findings are logged as warnings and the
//	                        server goes ahead (Accept at start-up). The
//	                        marker is kept up to date either way, so the
//	                        guard can be switched back on.
//
// Clean is not switchable: it removes only files that nothing will finish
// and that no live process owns.
package datadir
