package stream

import (
	"strconv"

	"github.com/redoubt-db/redoubt/command"
)

// Propagation of the consumer group commands. Replayed as called,
// XREADGROUP, XCLAIM and XAUTOCLAIM would not give the same result on a
// replica or after an AOF reload (what they deliver depends on time and
// on the state of the PEL), so, as Redis does, they are not propagated
// themselves: each pending entry they create or move travels as an
// idempotent XCLAIM ... FORCE JUSTID that sets it exactly, a group's new
// last ID as XGROUP SETID, and a consumer XREADGROUP NOACK creates as
// XGROUP CREATECONSUMER.

var (
	wordXClaim         = []byte("XCLAIM")
	wordXGroup         = []byte("XGROUP")
	wordSetID          = []byte("SETID")
	wordEntriesRead    = []byte("ENTRIESREAD")
	wordCreateConsumer = []byte("CREATECONSUMER")
	wordTime           = []byte("TIME")
	wordRetryCount     = []byte("RETRYCOUNT")
	wordForce          = []byte("FORCE")
	wordJustID         = []byte("JUSTID")
	wordLastID         = []byte("LASTID")
	wordZero           = []byte("0")
)

// propagateClaim propagates the pending entry p of group g (named
// groupName) of the stream at key as Redis's streamPropagateXCLAIM:
// XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID
// LASTID last. idArg is the entry's ID as the caller spells it.
func propagateClaim(c *command.Ctx, key, groupName []byte, g *group, idArg []byte, p *pending) {
	var consumer []byte
	if cn := g.byNum[p.consumer]; cn != nil {
		consumer = []byte(cn.name)
	}
	var t, n [24]byte
	var last [44]byte
	c.AlsoPropagate(wordXClaim, key, groupName, consumer, wordZero, idArg,
		wordTime, strconv.AppendInt(t[:0], p.time, 10),
		wordRetryCount, strconv.AppendUint(n[:0], p.count, 10),
		wordForce, wordJustID, wordLastID, g.last.append(last[:0]))
}

// propagateClaimID is propagateClaim for an ID the command found rather
// than was given.
func propagateClaimID(c *command.Ctx, key, groupName []byte, g *group, id ID, p *pending) {
	var b [44]byte
	propagateClaim(c, key, groupName, g, id.append(b[:0]), p)
}

// propagateGroupID propagates a group's last ID and read counter as
// XGROUP SETID key group id ENTRIESREAD n.
func propagateGroupID(c *command.Ctx, key, groupName []byte, g *group) {
	var last [44]byte
	var n [24]byte
	c.AlsoPropagate(wordXGroup, wordSetID, key, groupName, g.last.append(last[:0]),
		wordEntriesRead, strconv.AppendInt(n[:0], g.entriesRead, 10))
}

// propagateConsumer propagates the creation of a consumer as XGROUP
// CREATECONSUMER key group consumer.
func propagateConsumer(c *command.Ctx, key, groupName, consumer []byte) {
	c.AlsoPropagate(wordXGroup, wordCreateConsumer, key, groupName, consumer)
}
