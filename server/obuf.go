package server

import (
	"strconv"
	"strings"
)

// Output buffer limits (client-output-buffer-limit): per client class, a
// hard limit that disconnects at once and a soft limit that disconnects a
// client that stays over it for a number of seconds. This is what keeps a
// slow subscriber from growing the server's memory without bound.

type obufLimit struct {
	hard, soft, softSeconds int64
}

// obufLimits are the limits of the normal, replica and pubsub classes.
type obufLimits struct {
	normal, replica, pubsub obufLimit
}

// parseObufLimits reads client-output-buffer-limit as CONFIG GET renders
// it: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60".
func parseObufLimits(v string) obufLimits {
	var l obufLimits
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		n := func(s string) int64 { x, _ := strconv.ParseInt(s, 10, 64); return x }
		lim := obufLimit{hard: n(f[i+1]), soft: n(f[i+2]), softSeconds: n(f[i+3])}
		switch f[i] {
		case "normal":
			l.normal = lim
		case "slave", "replica":
			l.replica = lim
		case "pubsub":
			l.pubsub = lim
		}
	}
	return l
}

// overOutputLimit reports whether a client's pending output breaks its
// class's limits; it tracks how long the soft limit has been exceeded.
func (s *Server) overOutputLimit(c *client) bool {
	lim := s.obuf.normal
	if c.clientType() == "pubsub" {
		lim = s.obuf.pubsub
	}
	if lim.hard == 0 && lim.soft == 0 {
		return false
	}
	used := c.pending.Load()
	if lim.hard > 0 && used >= lim.hard {
		return true
	}
	if lim.soft > 0 && used >= lim.soft {
		nowMs := now()
		if c.softLimitSince == 0 {
			c.softLimitSince = nowMs
			return false
		}
		return nowMs-c.softLimitSince > lim.softSeconds*1000
	}
	c.softLimitSince = 0
	return false
}
