package server

import (
	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/protocol"
)

// Big arguments, read where they will stay. Redis reads a bulk argument
// of 32 KiB or more (PROTO_MBULK_BIG_ARG) into a buffer of its exact
// size, and a SET keeps that very buffer as the value. The query buffer
// alone would double up to the argument's size and copy it at each
// step, then SET would copy it once more into the arena: a 500 MB SET
// peaked at three times its size, and left the doubled buffers to the
// garbage collector.
//
// Here the argument's bytes go, from the first read that shows it
// incomplete, into a mapping outside the Go heap laid out as the arena's
// big blobs (arena.BigBlob), and the parser takes it as an argument held
// outside the buffer (protocol.Parser.External). While the command runs
// the mapping is offered to the arena (Donate): a SET of exactly those
// bytes takes the mapping as its value without copying, and whatever no
// command took is unmapped as soon as the command is done, so the
// memory goes back to the operating system at once.

// bigArg is a big argument being read: b is its bytes with room for the
// CRLF after them, got how many arrived.
type bigArg struct {
	m, b []byte
	got  int
}

// startBigArg moves the argument being read to a mapping of its own, if
// it is big and incomplete. A client not yet authenticated cannot send
// one (its bulks are limited to 16 KiB); if the mapping fails, the query
// buffer grows as for any argument.
func (c *client) startBigArg() {
	if c.big != nil || c.r >= c.w || c.flags&flagPrimary != 0 {
		return
	}
	n, off, ok := c.parser.Bulk()
	if !ok || n < protocol.BigArg {
		return
	}
	at := c.r + off
	have := c.w - at
	if have < 0 || have >= n+2 {
		return
	}
	m, b, err := arena.BigBlob(n)
	if err != nil {
		return
	}
	copy(b[:n+2], c.rbuf[at:c.w])
	c.big = &bigArg{m: m, b: b, got: have}
	c.w = at
}

// readBig reads into the big argument; complete, it is handed to the
// parser, and the client has a command to run.
func (c *client) readBig(nowMs int64) {
	big := c.big
	big.got += c.readInto(big.b[big.got:cap(big.b)], nowMs)
	if big.got == cap(big.b) {
		c.parser.External(big.b)
		c.bigArgs = append(c.bigArgs, big.m, big.b)
		c.big = nil
	}
	c.syncQbuf()
}

// syncQbuf publishes the query buffer's figures. While a big argument is
// read, the bytes before it in the read buffer are its command's header,
// already parsed: Redis drops them from its query buffer then, and qbuf
// is the argument's bytes alone.
func (c *client) syncQbuf() {
	n := c.bigLen()
	if c.big == nil {
		n += int64(c.w - c.r)
	}
	c.qbuf.Store(n)
	c.qbufCap.Store(int64(len(c.rbuf)) + c.bigMem())
	c.syncMem()
}

// bigMem is what the client's big arguments hold: their mappings, the
// one being read included, whole from the moment its length is read, as
// Redis counts the query buffer it sizes for such an argument. A client
// that announces an argument it cannot be allowed to hold is thus
// evicted (maxmemory-clients) before it sends it.
func (c *client) bigMem() int64 {
	var n int64
	if c.big != nil {
		n += int64(len(c.big.m))
	}
	for i := 0; i < len(c.bigArgs); i += 2 {
		n += int64(len(c.bigArgs[i]))
	}
	return n
}

// bigLen is the bytes of big arguments received, which CLIENT LIST's
// qbuf counts.
func (c *client) bigLen() int64 {
	n := c.bigDone()
	if c.big != nil {
		n += int64(c.big.got)
	}
	return n
}

// bigDone is the bytes of the complete big arguments.
func (c *client) bigDone() int64 {
	var n int64
	for i := 1; i < len(c.bigArgs); i += 2 {
		n += int64(len(c.bigArgs[i]))
	}
	return n
}

// donateBigArgs offers the command's big arguments to the arena, for a
// SET to keep as they are. The caller holds the engine lock.
func (c *client) donateBigArgs() {
	for i := 0; i < len(c.bigArgs); i += 2 {
		c.s.ks.Arena.Donate(c.bigArgs[i])
	}
}

// releaseBigArgs unmaps the big arguments the command did not keep, or
// kept and freed again. The caller holds the engine lock.
func (c *client) releaseBigArgs() {
	if len(c.bigArgs) == 0 {
		return
	}
	for _, m := range c.s.ks.Arena.Reclaim() {
		arena.Unmap(m)
	}
	clear(c.bigArgs)
	c.bigArgs = c.bigArgs[:0]
}

// freeBigArgs unmaps a closed client's big arguments.
func (c *client) freeBigArgs() {
	if c.big != nil {
		arena.Unmap(c.big.m)
		c.big = nil
	}
	for i := 0; i < len(c.bigArgs); i += 2 {
		arena.Unmap(c.bigArgs[i])
	}
	clear(c.bigArgs)
	c.bigArgs, c.held = c.bigArgs[:0], nil
}

// holdArgs keeps a command's arguments that waits for a pause: its big
// ones where they are, copies of the others.
func (c *client) holdArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = a
		if !c.isBigArg(a) {
			out[i] = append([]byte(nil), a...)
		}
	}
	return out
}

func (c *client) isBigArg(a []byte) bool {
	for i := 1; i < len(c.bigArgs); i += 2 {
		if b := c.bigArgs[i]; len(a) > 0 && len(b) == len(a) && &b[0] == &a[0] {
			return true
		}
	}
	return false
}
