// Package repl holds the pieces of Redis's replication protocol that do
// not depend on the server: the replication backlog (blocks of the last
// bytes of the stream, from which a replica that reconnects continues),
// replication IDs, and the reading of the dataset a primary sends on a
// full resynchronisation (a bulk of known length, or the diskless form
// ended by a random 40-byte mark).
//
// The server (package server) builds both roles on them: a primary feeds
// the engine's propagated stream into the backlog and to its replicas; a
// replica applies its primary's stream and passes the same bytes on to
// its own replicas and backlog, so that a chain of replicas sees one
// stream byte for byte, with one offset.
package repl
