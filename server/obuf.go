package server

import "github.com/redoubt-db/redoubt/config"

// Output buffer limits (client-output-buffer-limit): per client class, a
// hard limit that disconnects at once and a soft limit that disconnects a
// client that stays over it for a number of seconds. This is what keeps a
// slow subscriber from growing the server's memory without bound.

// obufLimits are the limits of the normal, replica and pubsub classes, in
// the config's order.
type obufLimits [3]config.OutputBufferLimit

// unauthOutputLimit is what an unauthenticated client may have waiting:
// Redis's static reply buffer (16 KiB) and the 1 KiB its patched check
// allows in the reply list beyond it.
const unauthOutputLimit = 16<<10 + 1<<10

const (
	obufNormal  = 0
	obufReplica = 1
	obufPubsub  = 2
)

// overOutputLimit reports whether a client's pending output breaks its
// class's limits; it tracks how long the soft limit has been exceeded.
func (s *Server) overOutputLimit(c *client) bool {
	// A client that has not authenticated may hold little output
	// whatever the limits say (Redis's fix of CVE-2025-21605): past its
	// 16 KiB reply buffer and 1 KiB more, it is closed, so that sending
	// commands it never reads the answers to cannot grow the server.
	if !c.authd && c.pending.Load() > unauthOutputLimit {
		return true
	}
	lim := s.obuf[obufNormal]
	switch c.clientType() {
	case "pubsub":
		lim = s.obuf[obufPubsub]
	case "replica":
		lim = s.obuf[obufReplica]
	}
	if lim.Hard == 0 && lim.Soft == 0 {
		return false
	}
	used := uint64(c.pending.Load())
	if lim.Hard > 0 && used >= lim.Hard {
		return true
	}
	if lim.Soft > 0 && used >= lim.Soft {
		nowMs := now()
		if c.softLimitSince == 0 {
			c.softLimitSince = nowMs
			return false
		}
		return nowMs-c.softLimitSince > lim.SoftSeconds*1000
	}
	c.softLimitSince = 0
	return false
}
