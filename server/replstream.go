package server

import (
	"bytes"
	"strconv"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/snapshot"
)

// The replication stream, as a primary sends it to replicas attached with
// SYNC: a snapshot of the dataset, then every command the engine
// propagates, in execution order, each database change announced by a
// SELECT, and a PING every repl-ping-replica-period seconds (Redis's
// replicationFeedSlaves). It is the engine's propagated stream: what a
// replica replays is byte for byte what the AOF records.
//
// This is the stream alone, enough for the tools that read it (the Tcl
// suite's attach_to_replication_stream, redis-cli --replica): the full
// PSYNC protocol, the backlog, and replicas that acknowledge are the
// replication issue's.

type replStream struct {
	replicas []*client
	// selDB is the database the stream is in (Redis's slaveseldb); -1
	// makes the next command announce its database.
	selDB int
	// offset is the length of the stream so far (master_repl_offset).
	offset   int64
	buf      []byte
	lastPing time.Time
	unfeed   func()
}

var argSelect = []byte("SELECT")

// replFeed appends a propagated command to the stream.
func (s *Server) replFeed(db int, args [][]byte) {
	r := &s.repl
	r.buf = r.buf[:0]
	if db != r.selDB {
		var n [20]byte
		r.buf = protocol.AppendCommandBytes(r.buf, argSelect, strconv.AppendInt(n[:0], int64(db), 10))
		r.selDB = db
	}
	r.buf = protocol.AppendCommandBytes(r.buf, args...)
	r.offset += int64(len(r.buf))
	for _, c := range r.replicas {
		c.push(r.buf)
	}
}

// replFeed is the stream as an engine.Feed.
type replFeed struct{ s *Server }

func (f *replFeed) Feed(db int, args [][]byte) { f.s.replFeed(db, args) }

// syncCmd is SYNC: the client becomes a replica. It gets the dataset as
// an RDB payload (a bulk string), then the propagated stream. The
// snapshot is taken under the engine lock, so the stream follows it
// exactly.
func syncCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagReplica != 0 {
		return // Redis ignores SYNC from a replica
	}
	if c.pending.Load() > 0 || ctx.W.Len() > 0 {
		ctx.Err("ERR SYNC and PSYNC are invalid with pending output")
		return
	}
	s.log.Noticef("Replica %s asks for synchronization", c.addr)
	var rdbBuf bytes.Buffer
	if err := snapshot.Write(&rdbBuf, s.ks, &s.cfg.Values, s.snapshotInfo()); err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	s.log.Noticef("Starting BGSAVE for SYNC with target: replicas sockets")
	ctx.W.RawString("$" + strconv.Itoa(rdbBuf.Len()) + "\r\n")
	ctx.W.Raw(rdbBuf.Bytes())
	c.flags |= flagReplica
	r := &s.repl
	if len(r.replicas) == 0 {
		r.unfeed = s.eng.AddFeed(&replFeed{s}, command.ToReplicas)
		r.lastPing = time.Now()
	}
	r.replicas = append(r.replicas, c)
	// A new replica must be told which database the stream is in.
	r.selDB = -1
	s.log.Noticef("Synchronization with replica %s succeeded", c.addr)
}

// removeReplica detaches a closed replica from the stream.
func (s *Server) removeReplica(c *client) {
	r := &s.repl
	for i, x := range r.replicas {
		if x == c {
			r.replicas = append(r.replicas[:i], r.replicas[i+1:]...)
			break
		}
	}
	if len(r.replicas) == 0 && r.unfeed != nil {
		r.unfeed()
		r.unfeed = nil
	}
}

var pingArgs = [][]byte{[]byte("ping")} // lower case, as Redis sends it

// replCron pings the replicas every repl-ping-replica-period seconds, in
// the stream, so that they can tell a silent primary from a dead one.
func (s *Server) replCron(t time.Time) {
	r := &s.repl
	if len(r.replicas) == 0 || t.Sub(r.lastPing) < time.Duration(s.cfg.ReplPingReplicaPeriod)*time.Second {
		return
	}
	r.lastPing = t
	s.replFeed(r.selDB, pingArgs)
}
