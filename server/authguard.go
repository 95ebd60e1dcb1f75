package server

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Failed AUTHs per source (beyond Redis, which only logs them in ACL
// LOG): a brute-force attempt shows in INFO guardrails as the sources
// that keep failing, and with failed-auth-backoff set, is slowed. A
// source that failed n times in a row is refused for backoff*2^(n-1)
// (at most a minute): its AUTHs meanwhile are answered WRONGPASS
// without the password being looked at, so guesses made then are
// wasted. A success resets the source. Off by default: a client with a
// stale password and a fast retry loop would otherwise lock itself out
// for a while, which an operator should choose knowingly.

// authSourcesMax bounds the sources remembered; the one that failed
// longest ago makes room.
const authSourcesMax = 1024

// authBackoffMax caps a source's back-off.
const authBackoffMax = time.Minute

type authSource struct {
	failures int64 // in a row
	total    int64
	last     time.Time
	until    time.Time // refused until then
}

type authGuard struct {
	sources  map[string]*authSource
	refusals int64 // AUTHs refused during a back-off
}

// authSourceOf is the address a client's failures are counted under:
// its IP, or "unix" for a Unix socket.
func authSourceOf(c *client) string {
	if ta, ok := c.remote.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	return "unix"
}

// authRefused reports whether c's source is in back-off: the AUTH is
// answered WRONGPASS without a look at the password.
func (s *Server) authRefused(c *client) bool {
	if s.cfg.AuthFailureBackoff <= 0 || s.authGuard.sources == nil {
		return false
	}
	src := s.authGuard.sources[authSourceOf(c)]
	if src == nil || !time.Now().Before(src.until) {
		return false
	}
	s.authGuard.refusals++
	return true
}

// authFailed counts a failed AUTH of c's source and sets its back-off.
func (s *Server) authFailed(c *client) {
	g := &s.authGuard
	if g.sources == nil {
		g.sources = map[string]*authSource{}
	}
	key := authSourceOf(c)
	src := g.sources[key]
	if src == nil {
		if len(g.sources) >= authSourcesMax {
			var oldest string
			for k, v := range g.sources {
				if oldest == "" || v.last.Before(g.sources[oldest].last) {
					oldest = k
				}
			}
			delete(g.sources, oldest)
		}
		src = &authSource{}
		g.sources[key] = src
	}
	now := time.Now()
	src.failures++
	src.total++
	src.last = now
	if b := s.cfg.AuthFailureBackoff; b > 0 {
		d := time.Duration(b) * time.Millisecond << min(src.failures-1, 20)
		src.until = now.Add(min(d, authBackoffMax))
	}
}

// authSucceeded resets c's source.
func (s *Server) authSucceeded(c *client) {
	if src := s.authGuard.sources[authSourceOf(c)]; src != nil {
		src.failures, src.until = 0, time.Time{}
	}
}

// authSourcesLine lists the sources with the most failed AUTHs, for INFO
// guardrails: "ip=failures,...", at most n.
func (s *Server) authSourcesLine(n int) string {
	type kv struct {
		k string
		v int64
	}
	var all []kv
	for k, v := range s.authGuard.sources {
		all = append(all, kv{k, v.total})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	var b strings.Builder
	for i, e := range all {
		if i == n {
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.k + "=" + strconv.FormatInt(e.v, 10))
	}
	return b.String()
}
