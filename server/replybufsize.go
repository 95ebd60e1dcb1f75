package server

import (
	"strings"

	"github.com/redoubt-db/redoubt/protocol"
)

// The reply buffer's size, as Redis 7 reports and adapts it. Every Redis
// client has a static reply buffer, 16 KiB when it connects, that
// clientsCron halves (down to 1 KiB) while the client's replies stay
// small and doubles back (up to 16 KiB) when a reply fills it, watching
// the buffer's peak use, reset every few seconds. CLIENT LIST shows the
// size (rbs) and peak (rbp), and tot-mem counts the size, so an idle
// connection weighs 1 KiB there, not 16.
//
// Here a client's output is a chain of pooled blocks and its first block
// is the standard size whatever the client does; the reply buffer is the
// figure Redis would have, kept per client by the same rule, so that
// CLIENT LIST, tot-mem and client eviction see what Redis's would. The
// rule is switched off by DEBUG REPLYBUFFER RESIZING 0 and its reset
// period set by DEBUG REPLYBUFFER PEAK-RESET-TIME, as in Redis.

const (
	replyBufMin              = 1 << 10 // PROTO_REPLY_MIN_BYTES
	replyBufPeakResetDefault = 5000    // ms, REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME
)

// replyBufState is the server's side: the reset period in ms (negative:
// never) and whether buffers are resized.
type replyBufState struct {
	peakReset  int64
	noResizing bool
}

// initReplyBuf gives a new client the standard reply buffer, its peak
// at its size as Redis sets it, so that the first shrink waits for the
// first reset of the peak.
func (c *client) initReplyBuf(nowMs int64) {
	c.rbSize.Store(protocol.ChunkSize)
	c.rbPeak.Store(protocol.ChunkSize)
	c.rbPeakReset = nowMs
}

// noteReplyBufUse records how much of the reply buffer the pending output
// would fill. The caller holds outMu.
func (c *client) noteReplyBufUse() {
	if pos := min(c.out.bytes, c.rbSize.Load()); pos > c.rbPeak.Load() {
		c.rbPeak.Store(pos)
	}
}

// resizeReplyBuf is Redis's clientsCron step for one client's buffer:
// halve it (to its peak plus one, at least 1 KiB) when the peak stayed
// under half of it, double it (up to 16 KiB) when the peak filled it, and
// reset the peak to the buffer's use every peakReset milliseconds. The
// caller holds the engine lock.
func (s *Server) resizeReplyBuf(c *client, nowMs int64) {
	if s.replyBuf.noResizing {
		return
	}
	c.outMu.Lock()
	defer c.outMu.Unlock()
	size, peak := c.rbSize.Load(), c.rbPeak.Load()
	switch {
	case size/2 >= replyBufMin && peak < size/2:
		c.rbSize.Store(max(replyBufMin, peak+1))
	case size*2 < 2*protocol.ChunkSize && peak == size:
		c.rbSize.Store(min(protocol.ChunkSize, size*2))
	}
	if r := s.replyBuf.peakReset; r >= 0 && nowMs-c.rbPeakReset >= r {
		c.rbPeak.Store(min(c.out.bytes, c.rbSize.Load()))
		c.rbPeakReset = nowMs
	}
}

// debugReplyBuffer is DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms>
// and DEBUG REPLYBUFFER RESIZING <0|1> (read as C's atoi reads it); it
// returns the error to reply, or "".
func (s *Server) debugReplyBuffer(sub, arg, val []byte) string {
	switch strings.ToLower(string(arg)) {
	case "peak-reset-time":
		switch strings.ToLower(string(val)) {
		case "never":
			s.replyBuf.peakReset = -1
		case "reset":
			s.replyBuf.peakReset = replyBufPeakResetDefault
		default:
			n, ok := protocol.ParseInt(val)
			if !ok {
				return "ERR value is not an integer or out of range"
			}
			s.replyBuf.peakReset = n
		}
	case "resizing":
		s.replyBuf.noResizing = atoi(val) == 0
	default:
		return "ERR unknown subcommand or wrong number of arguments for '" + clip(sub, 128) + "'. Try DEBUG HELP."
	}
	return ""
}
