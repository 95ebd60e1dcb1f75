// Package aof reads and writes the files of Redis 7.0's append-only
// persistence, with no server code: the manifest of a multi-part AOF,
// the names Redis gives its files, and the commands an AOF holds.
//
// # The directory
//
// Redis 7.0 keeps its AOF in a directory (appenddirname) of parts listed
// by a manifest, appendonly.aof.manifest:
//
//	file appendonly.aof.2.base.rdb seq 2 type b    the snapshot of the last rewrite
//	file appendonly.aof.1.incr.aof seq 1 type h    history, deleted after a rewrite
//	file appendonly.aof.2.incr.aof seq 2 type i    the writes since, in order
//
// ParseManifest reads a manifest with the rules, limits and messages of
// Redis's aofLoadManifestFromFile (a manifest Redis refuses, this package
// refuses with the same message); Manifest.Encode writes it as Redis's
// getAofManifestAsString does, byte for byte; WriteManifest replaces it
// atomically as Redis does (temporary file, fsync, rename, fsync of the
// directory). The Manifest methods NewBase, NewIncr, LastIncr and
// MarkIncrAsHistory are Redis's own steps of a rewrite, so a server built
// on them writes the manifests Redis writes.
//
// # The commands
//
// An AOF part is commands in RESP (*<argc>\r\n then $<len>\r\n<bytes>\r\n
// per argument), optionally after an RDB preamble (a base file written
// with aof-use-rdb-preamble), with "#TS:<unix>\r\n" annotations between
// commands when aof-timestamp-enabled is on. Reader reads them in one
// reused buffer, with the offsets where each item starts and ends, and
// tells a file that merely stops in the middle of a command (a torn write:
// Redis's aof-load-truncated case) from a corrupt one. It is as strict as
// redis-check-aof, which is stricter than Redis's loader: a command that
// redis-check-aof rejects (a string not followed by \r\n, a nested MULTI)
// is an error here even where Redis's loader would read past it, since
// such bytes were never written by Redis and hide damage. AppendCommand
// and AppendTimestamp write what Redis writes (catAppendOnlyGenericCommand
// and the timestamp annotation).
//
// # Appending
//
// Writer appends the server's propagated commands to the current
// incremental file with Redis's appendfsync policies (always, everysec,
// no): appends go to a buffer under the engine lock, and whoever needs
// them on disk (a client about to get its reply, the cron) writes them,
// with one fsync for all the writers waiting under always (group
// commit). A failed write keeps its bytes and is reported by Err until a
// write succeeds. See writer.go.
//
// # What this package does not do
//
// It does not load the RDB preamble of a base file: Reader reports it
// (ErrPreamble) and the caller hands those bytes to package snapshot, then
// reads the commands after it with a Reader that starts there.
package aof
