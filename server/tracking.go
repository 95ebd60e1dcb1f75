package server

import (
	"sort"
	"strconv"
	"strings"

	"github.com/redoubt-db/redoubt/command"
)

// Client-side caching (Redis's tracking.c).
//
// In the default mode the server remembers, per key, the ids of the
// clients that read it; the first change to the key sends each of them
// one invalidation and forgets them, so a client hears about a key once
// per read. In BCAST mode clients register key prefixes instead: changed
// keys are collected per prefix and sent to its clients, as one array per
// prefix, when the batch of commands that changed them ends.
//
// Invalidations are RESP3 pushes on the tracking connection, or Pub/Sub
// messages on __redis__:invalidate for a RESP2 client that redirects them
// to a subscribed connection. Keys are global: the table does not know
// databases, as in Redis. A client invalidated by its own command gets the
// message after the command's reply.

const trackingChannel = "__redis__:invalidate"

// tracking is the server's tracking state; the engine lock guards it.
type tracking struct {
	clients int // clients with tracking on
	// table maps a key to the clients that may have cached it.
	table map[string]map[int64]struct{}
	items int // client ids stored in table, summed over keys
	// prefixes maps a BCAST prefix to its clients and changed keys.
	prefixes map[string]*bcastPrefix
	// pending holds the invalidations of the client running a command,
	// sent after its reply; flush marks a FLUSHALL/FLUSHDB.
	pending []pendingInvalidation
}

type bcastPrefix struct {
	clients map[*client]struct{}
	// keys maps each key changed since the last broadcast to the client
	// that changed it last (nil outside a client), for NOLOOP.
	keys map[string]*client
}

type pendingInvalidation struct {
	c     *client
	key   string
	flush bool
}

// trackState is a client's tracking configuration.
type trackState struct {
	redirect int64
	prefixes []string // BCAST prefixes, sorted
}

func clientTrackingCmd(s *Server, c *client, ctx *command.Ctx) {
	var redirect int64
	var opts clientFlags
	var prefixes []string
	for j := 3; j < len(ctx.Args); j++ {
		more := j < len(ctx.Args)-1
		switch {
		case ctx.Is(j, "redirect") && more:
			j++
			if redirect != 0 {
				ctx.Err("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := ctx.Int(j)
			if !ok {
				return
			}
			if s.clients[id] == nil {
				ctx.Err("ERR The client ID you want redirect to does not exist")
				return
			}
			redirect = id
		case ctx.Is(j, "bcast"):
			opts |= flagTrackingBcast
		case ctx.Is(j, "optin"):
			opts |= flagTrackingOptin
		case ctx.Is(j, "optout"):
			opts |= flagTrackingOptout
		case ctx.Is(j, "noloop"):
			opts |= flagTrackingNoloop
		case ctx.Is(j, "prefix") && more:
			j++
			prefixes = append(prefixes, string(ctx.Args[j]))
		default:
			ctx.Err(command.ErrSyntax)
			return
		}
	}
	switch {
	case ctx.Is(2, "on"):
		if msg := s.trackingConflict(c, opts, prefixes); msg != "" {
			ctx.Err(msg)
			return
		}
		s.enableTracking(c, redirect, opts, prefixes)
	case ctx.Is(2, "off"):
		s.disableTracking(c)
	default:
		ctx.Err(command.ErrSyntax)
		return
	}
	ctx.W.OK()
}

// trackingConflict checks CLIENT TRACKING ON's options against each other
// and the client's current mode, in Redis's order.
func (s *Server) trackingConflict(c *client, opts clientFlags, prefixes []string) string {
	const restart = " before disabling tracking for this client, and then re-enabling it with a different mode."
	bcast := opts&flagTrackingBcast != 0
	switch {
	case !bcast && len(prefixes) > 0:
		return "ERR PREFIX option requires BCAST mode to be enabled"
	case c.flags&flagTracking != 0 && (c.flags&flagTrackingBcast != 0) != bcast:
		return "ERR You can't switch BCAST mode on/off" + restart
	case bcast && opts&(flagTrackingOptin|flagTrackingOptout) != 0:
		return "ERR OPTIN and OPTOUT are not compatible with BCAST"
	case opts&flagTrackingOptin != 0 && opts&flagTrackingOptout != 0:
		return "ERR You can't specify both OPTIN mode and OPTOUT mode"
	case opts&flagTrackingOptin != 0 && c.flags&flagTrackingOptout != 0,
		opts&flagTrackingOptout != 0 && c.flags&flagTrackingOptin != 0:
		return "ERR You can't switch OPTIN/OPTOUT mode" + restart
	}
	if !bcast {
		return ""
	}
	// Two prefixes of one client overlap when one starts the other: a key
	// would be reported twice.
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range prefixes {
		for _, old := range c.track.prefixes {
			if overlap(p, old) {
				return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + old + "'. Prefixes for a single client must not overlap."
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

func (s *Server) enableTracking(c *client, redirect int64, opts clientFlags, prefixes []string) {
	t := &s.tracking
	if c.flags&flagTracking == 0 {
		t.clients++
	}
	c.flags = c.flags&^(flagTrackingBrokenRedir|flagTrackingBcast|flagTrackingOptin|flagTrackingOptout|flagTrackingNoloop) |
		flagTracking | opts
	c.track.redirect = redirect
	if t.table == nil {
		t.table = make(map[string]map[int64]struct{})
		t.prefixes = make(map[string]*bcastPrefix)
	}
	if opts&flagTrackingBcast == 0 {
		return
	}
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	for _, p := range prefixes {
		bp := t.prefixes[p]
		if bp == nil {
			bp = &bcastPrefix{clients: make(map[*client]struct{}), keys: make(map[string]*client)}
			t.prefixes[p] = bp
		}
		if _, ok := bp.clients[c]; !ok {
			bp.clients[c] = struct{}{}
			c.track.prefixes = append(c.track.prefixes, p)
		}
	}
	sort.Strings(c.track.prefixes)
}

// disableTracking turns tracking off. The client's ids stay in the key
// table and are dropped lazily, as in Redis, so that disconnecting a
// client that read millions of keys costs nothing.
func (s *Server) disableTracking(c *client) {
	t := &s.tracking
	for _, p := range c.track.prefixes {
		bp := t.prefixes[p]
		delete(bp.clients, c)
		if len(bp.clients) == 0 {
			delete(t.prefixes, p)
		}
	}
	c.track.prefixes = nil
	if c.flags&flagTracking != 0 {
		t.clients--
		c.flags &^= flagTracking | flagTrackingBrokenRedir | flagTrackingBcast | flagTrackingOptin |
			flagTrackingOptout | flagTrackingCaching | flagTrackingNoloop
	}
}

// trackingRememberKeys records the keys a read-only command of a tracking
// client read, unless OPTIN/OPTOUT and CLIENT CACHING say otherwise.
func (s *Server) trackingRememberKeys(c *client, cmd *command.Command, args [][]byte) {
	optin, optout := c.flags&flagTrackingOptin != 0, c.flags&flagTrackingOptout != 0
	caching := c.flags&flagTrackingCaching != 0
	if optin && !caching || optout && caching || cmd.Has(command.PubSub) {
		return
	}
	keys, err := cmd.Spec.AppendKeys(s.keyRefs[:0], args)
	s.keyRefs = keys[:0]
	if err != nil {
		return
	}
	t := &s.tracking
	for _, k := range keys {
		key := args[k.Pos]
		ids := t.table[string(key)]
		if ids == nil {
			ids = make(map[int64]struct{}, 1)
			t.table[string(key)] = ids
		}
		if _, ok := ids[c.id]; !ok {
			ids[c.id] = struct{}{}
			t.items++
		}
	}
}

// trackingInvalidateKey is called for every changed key: the clients that
// may have cached it are told, and in BCAST mode the key is queued for
// the prefixes it matches. by is the client whose command changed it, or
// nil. bcast is false when the key is only dropped from the table.
func (s *Server) trackingInvalidateKey(by *client, key []byte, bcast bool) {
	t := &s.tracking
	if t.table == nil {
		return
	}
	if bcast {
		for p, bp := range t.prefixes {
			if len(p) <= len(key) && string(key[:len(p)]) == p {
				bp.keys[string(key)] = by
			}
		}
	}
	ids, ok := t.table[string(key)]
	if !ok {
		return
	}
	for id := range ids {
		target := s.clients[id]
		if target == nil || target.flags&flagTracking == 0 || target.flags&flagTrackingBcast != 0 {
			continue
		}
		if target == by {
			if target.flags&flagTrackingNoloop == 0 {
				t.pending = append(t.pending, pendingInvalidation{c: target, key: string(key)})
			}
			continue
		}
		s.sendInvalidation(target, oneKey(key))
	}
	t.items -= len(ids)
	delete(t.table, string(key))
}

// trackingFlushed tells every tracking client that all keys are invalid
// (FLUSHALL, FLUSHDB) with a null, and empties the table.
func (s *Server) trackingFlushed(by *client) {
	t := &s.tracking
	if t.clients > 0 {
		for _, c := range s.clients {
			if c.flags&flagTracking == 0 {
				continue
			}
			if c == by {
				t.pending = append(t.pending, pendingInvalidation{c: c, flush: true})
			} else {
				s.sendInvalidation(c, nullFor(c))
			}
		}
	}
	if t.table != nil {
		t.table = make(map[string]map[int64]struct{})
		t.items = 0
	}
}

// trackingSendPending sends the invalidations caused by c's own command,
// after its reply.
func (s *Server) trackingSendPending(c *client) {
	t := &s.tracking
	kept := t.pending[:0]
	for _, p := range t.pending {
		switch {
		case p.c != c:
			kept = append(kept, p)
		case s.clients[c.id] == nil:
		case p.flush:
			s.sendInvalidation(c, nullFor(c))
		default:
			s.sendInvalidation(c, oneKey([]byte(p.key)))
		}
	}
	t.pending = kept
}

// trackingBroadcast sends every BCAST prefix's changed keys to its
// clients, once a batch of commands is done.
func (s *Server) trackingBroadcast() {
	t := &s.tracking
	if t.clients == 0 {
		return
	}
	for _, bp := range t.prefixes {
		if len(bp.keys) == 0 {
			continue
		}
		keys := make([]string, 0, len(bp.keys))
		for k := range bp.keys {
			keys = append(keys, k)
		}
		// Redis walks a radix tree: keys go out in byte order.
		sort.Strings(keys)
		all := keyArray(keys, nil, bp.keys)
		for c := range bp.clients {
			if c.flags&flagTrackingNoloop == 0 {
				s.sendInvalidation(c, all)
			} else if own := keyArray(keys, c, bp.keys); own != nil {
				s.sendInvalidation(c, own)
			}
		}
		clear(bp.keys)
	}
}

// trackingLimit forgets keys at random, invalidating them, while the table
// holds more than tracking-table-max-keys; the effort grows each time a
// call could not get under the limit.
func (s *Server) trackingLimit() {
	t := &s.tracking
	limit := int(s.cfg.TrackingTableMaxKeys)
	if t.table == nil || limit == 0 || len(t.table) <= limit {
		s.trackingEffort = 0
		return
	}
	effort := 100 * (s.trackingEffort + 1)
	for key := range t.table { // map order is random
		s.trackingInvalidateKey(nil, []byte(key), false)
		effort--
		if len(t.table) <= limit {
			s.trackingEffort = 0
			return
		}
		if effort == 0 {
			break
		}
	}
	s.trackingEffort++
}

// sendInvalidation sends an invalidation whose value (an array of keys or
// a null) is already encoded, to c or to the client it redirects to.
func (s *Server) sendInvalidation(c *client, value []byte) {
	target := c
	if c.track.redirect != 0 {
		target = s.clients[c.track.redirect]
		if target == nil {
			c.flags |= flagTrackingBrokenRedir
			if c.resp > 2 {
				s.pushTo(c, []byte(">2\r\n$21\r\ntracking-redir-broken\r\n:"+strconv.FormatInt(c.track.redirect, 10)+"\r\n"))
			}
			return
		}
	}
	var b []byte
	switch {
	case target.resp > 2:
		b = append(b, ">2\r\n$10\r\ninvalidate\r\n"...)
	case target != c && target.flags&flagPubSub != 0:
		b = append(b, "*3\r\n$7\r\nmessage\r\n$20\r\n"+trackingChannel+"\r\n"...)
	default:
		// RESP2 has no way to push on the client's own connection.
		return
	}
	s.pushTo(target, append(b, value...))
}

func oneKey(key []byte) []byte {
	b := append([]byte("*1\r\n$"), strconv.Itoa(len(key))...)
	b = append(append(append(b, '\r', '\n'), key...), '\r', '\n')
	return b
}

// nullFor is the null a flush invalidation carries, in the tracking
// client's protocol (even when redirected, as Redis does).
func nullFor(c *client) []byte {
	if c.resp > 2 {
		return []byte("_\r\n")
	}
	return []byte("$-1\r\n")
}

// keyArray encodes keys as an array, leaving out those last changed by
// skip (NOLOOP); nil if that leaves none.
func keyArray(keys []string, skip *client, by map[string]*client) []byte {
	n := 0
	for _, k := range keys {
		if skip == nil || by[k] != skip {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	b := append([]byte{'*'}, strconv.Itoa(n)...)
	b = append(b, '\r', '\n')
	for _, k := range keys {
		if skip == nil || by[k] != skip {
			b = append(append(append(append(append(b, '$'), strconv.Itoa(len(k))...), '\r', '\n'), k...), '\r', '\n')
		}
	}
	return b
}

func clientCachingCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagTracking == 0 {
		ctx.Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case ctx.Is(2, "yes"):
		if c.flags&flagTrackingOptin == 0 {
			ctx.Err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case ctx.Is(2, "no"):
		if c.flags&flagTrackingOptout == 0 {
			ctx.Err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		ctx.Err(command.ErrSyntax)
		return
	}
	c.flags |= flagTrackingCaching
	ctx.W.OK()
}

func clientGetredirCmd(s *Server, c *client, ctx *command.Ctx) {
	ctx.W.Int(c.trackingRedirect())
}

// trackingRedirect is the redirect CLIENT GETREDIR and CLIENT LIST show:
// -1 without tracking, 0 without redirection.
func (c *client) trackingRedirect() int64 {
	if c.flags&flagTracking == 0 {
		return -1
	}
	return c.track.redirect
}

func clientTrackinginfoCmd(s *Server, c *client, ctx *command.Ctx) {
	w := ctx.W
	w.Map(3)
	w.BulkString("flags")
	flags := []string{"off"}
	if c.flags&flagTracking != 0 {
		flags[0] = "on"
	}
	for _, f := range []struct {
		flag clientFlags
		name string
	}{{flagTrackingBcast, "bcast"}, {flagTrackingOptin, "optin"}, {flagTrackingOptout, "optout"}} {
		if c.flags&f.flag == 0 {
			continue
		}
		flags = append(flags, f.name)
		if c.flags&flagTrackingCaching != 0 && f.flag != flagTrackingBcast {
			flags = append(flags, map[clientFlags]string{flagTrackingOptin: "caching-yes", flagTrackingOptout: "caching-no"}[f.flag])
		}
	}
	if c.flags&flagTrackingNoloop != 0 {
		flags = append(flags, "noloop")
	}
	if c.flags&flagTrackingBrokenRedir != 0 {
		flags = append(flags, "broken_redirect")
	}
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	w.Int(c.trackingRedirect())
	w.BulkString("prefixes")
	w.Array(len(c.track.prefixes))
	for _, p := range c.track.prefixes {
		w.BulkString(p)
	}
}
