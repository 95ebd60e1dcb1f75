package server

import (
	"sort"
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/glob"
	"github.com/redoubt-db/redoubt/protocol"
)

// Pub/Sub and keyspace notifications (Redis's pubsub.c and notify.c).
//
// Subscriptions live in the server's tables, guarded by the engine lock.
// A published message is encoded once per protocol version and pushed to
// each subscriber's output buffer in subscription order; the subscriber's
// writer goroutine sends it, so a slow subscriber cannot slow down the
// publisher. client-output-buffer-limit pubsub disconnects a subscriber
// whose backlog passes the limit.

// pubsubKind is one of the two namespaces: global channels (with
// patterns) and shard channels.
type pubsubKind struct {
	subscribe, unsubscribe, message string
	shard                           bool
}

var (
	globalChannels = pubsubKind{"subscribe", "unsubscribe", "message", false}
	shardChannels  = pubsubKind{"ssubscribe", "sunsubscribe", "smessage", true}
)

// pubsub holds the server's subscription tables.
type pubsub struct {
	channels map[string][]*client
	shard    map[string][]*client
	patterns map[string][]*client
}

func newPubsub() pubsub {
	return pubsub{channels: map[string][]*client{}, shard: map[string][]*client{}, patterns: map[string][]*client{}}
}

// clientSubs are a client's subscriptions, in subscription order.
type clientSubs struct {
	channels, shard, patterns []string
}

func (s *Server) table(k pubsubKind) map[string][]*client {
	if k.shard {
		return s.ps.shard
	}
	return s.ps.channels
}

func (c *client) subList(k pubsubKind) *[]string {
	if k.shard {
		return &c.subs.shard
	}
	return &c.subs.channels
}

// subCount is the count Redis reports after (un)subscribing: channels and
// patterns together, or shard channels alone.
func (c *client) subCount(k pubsubKind) int {
	if k.shard {
		return len(c.subs.shard)
	}
	return len(c.subs.channels) + len(c.subs.patterns)
}

func (c *client) updatePubsubFlag() {
	if len(c.subs.channels)+len(c.subs.patterns)+len(c.subs.shard) > 0 {
		c.flags |= flagPubSub
	} else {
		c.flags &^= flagPubSub
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func removeString(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

func removeClient(list []*client, c *client) []*client {
	for i, x := range list {
		if x == c {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// subscribeReply writes the confirmation Redis pushes for each channel.
func subscribeReply(w *protocol.Writer, kind string, channel []byte, count int) {
	w.Push(3)
	w.BulkString(kind)
	if channel == nil {
		w.Null()
	} else {
		w.Bulk(channel)
	}
	w.Int(int64(count))
}

func (s *Server) subscribe(c *client, ctx *command.Ctx, k pubsubKind) {
	for _, ch := range ctx.Args[1:] {
		name := string(ch)
		list := c.subList(k)
		if !contains(*list, name) {
			*list = append(*list, name)
			t := s.table(k)
			t[name] = append(t[name], c)
		}
		subscribeReply(ctx.W, k.subscribe, ch, c.subCount(k))
	}
	c.updatePubsubFlag()
}

func (s *Server) unsubscribe(c *client, w *protocol.Writer, k pubsubKind, names [][]byte) {
	list := c.subList(k)
	if len(names) == 0 {
		if len(*list) == 0 {
			subscribeReply(w, k.unsubscribe, nil, c.subCount(k))
		}
		for _, name := range append([]string(nil), *list...) {
			s.unsubscribeOne(c, w, k, []byte(name))
		}
	}
	for _, ch := range names {
		s.unsubscribeOne(c, w, k, ch)
	}
	c.updatePubsubFlag()
}

func (s *Server) unsubscribeOne(c *client, w *protocol.Writer, k pubsubKind, ch []byte) {
	name := string(ch)
	list := c.subList(k)
	if contains(*list, name) {
		*list = removeString(*list, name)
		t := s.table(k)
		if rest := removeClient(t[name], c); len(rest) > 0 {
			t[name] = rest
		} else {
			delete(t, name)
		}
	}
	if w != nil {
		subscribeReply(w, k.unsubscribe, ch, c.subCount(k))
	}
}

func (s *Server) psubscribe(c *client, ctx *command.Ctx) {
	for _, p := range ctx.Args[1:] {
		name := string(p)
		if !contains(c.subs.patterns, name) {
			c.subs.patterns = append(c.subs.patterns, name)
			s.ps.patterns[name] = append(s.ps.patterns[name], c)
		}
		subscribeReply(ctx.W, "psubscribe", p, c.subCount(globalChannels))
	}
	c.updatePubsubFlag()
}

func (s *Server) punsubscribe(c *client, w *protocol.Writer, names [][]byte) {
	one := func(p []byte) {
		name := string(p)
		if contains(c.subs.patterns, name) {
			c.subs.patterns = removeString(c.subs.patterns, name)
			if rest := removeClient(s.ps.patterns[name], c); len(rest) > 0 {
				s.ps.patterns[name] = rest
			} else {
				delete(s.ps.patterns, name)
			}
		}
		if w != nil {
			subscribeReply(w, "punsubscribe", p, c.subCount(globalChannels))
		}
	}
	if len(names) == 0 {
		if len(c.subs.patterns) == 0 && w != nil {
			subscribeReply(w, "punsubscribe", nil, c.subCount(globalChannels))
		}
		for _, p := range append([]string(nil), c.subs.patterns...) {
			one([]byte(p))
		}
	}
	for _, p := range names {
		one(p)
	}
	c.updatePubsubFlag()
}

// unsubscribeAll drops every subscription of a client (disconnect, RESET)
// without replying.
func (s *Server) unsubscribeAll(c *client) {
	for _, k := range []pubsubKind{globalChannels, shardChannels} {
		for _, name := range append([]string(nil), *c.subList(k)...) {
			s.unsubscribeOne(c, nil, k, []byte(name))
		}
	}
	for _, p := range append([]string(nil), c.subs.patterns...) {
		s.punsubscribe(c, nil, [][]byte{[]byte(p)})
	}
	c.updatePubsubFlag()
}

// encodedMessage caches a message encoded for each protocol version.
type encodedMessage struct {
	parts [][]byte // the elements after the header
	enc   [4][]byte
}

func (m *encodedMessage) bytes(resp int) []byte {
	if m.enc[resp] == nil {
		w := protocol.Writer{Resp: resp}
		w.Push(len(m.parts))
		for _, p := range m.parts {
			w.Bulk(p)
		}
		m.enc[resp] = w.Buf
	}
	return m.enc[resp]
}

// publish delivers a message and returns the number of receivers.
func (s *Server) publish(k pubsubKind, channel, message []byte) int64 {
	n := int64(0)
	if subs := s.table(k)[string(channel)]; len(subs) > 0 {
		m := encodedMessage{parts: [][]byte{[]byte(k.message), channel, message}}
		for _, c := range subs {
			s.pushTo(c, m.bytes(c.resp))
			n++
		}
	}
	if k.shard || len(s.ps.patterns) == 0 {
		return n
	}
	for pat, subs := range s.ps.patterns {
		if !glob.Match([]byte(pat), channel, false) {
			continue
		}
		m := encodedMessage{parts: [][]byte{[]byte("pmessage"), []byte(pat), channel, message}}
		for _, c := range subs {
			s.pushTo(c, m.bytes(c.resp))
			n++
		}
	}
	return n
}

// pushTo sends out-of-band output to a client, enforcing its output
// buffer limits: a client past the hard limit is disconnected, as Redis
// does, and the server carries on.
func (s *Server) pushTo(c *client, b []byte) {
	if c.closing.Load() == closeASAP {
		return
	}
	c.push(b)
	if s.overOutputLimit(c) {
		s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.info())
		s.killClient(c)
	}
}

// Publish implements engine.Host: it publishes a keyspace notification
// if its class is enabled.
func (s *Server) Publish(class command.Event, event string, key []byte, db int) {
	if s.notifyMask&class == 0 {
		return
	}
	dbid := strconv.Itoa(db)
	if s.notifyMask&command.EvKeyspace != 0 {
		ch := make([]byte, 0, 16+len(dbid)+len(key))
		ch = append(append(append(append(ch, "__keyspace@"...), dbid...), "__:"...), key...)
		s.publish(globalChannels, ch, []byte(event))
	}
	if s.notifyMask&command.EvKeyevent != 0 {
		ch := make([]byte, 0, 16+len(dbid)+len(event))
		ch = append(append(append(append(ch, "__keyevent@"...), dbid...), "__:"...), event...)
		s.publish(globalChannels, ch, key)
	}
}

// notifyMask turns notify-keyspace-events into event classes.
func notifyMask(flags string) command.Event {
	letters := map[byte]command.Event{
		'K': command.EvKeyspace, 'E': command.EvKeyevent, 'g': command.EvGeneric, '$': command.EvString,
		'l': command.EvList, 's': command.EvSet, 'h': command.EvHash, 'z': command.EvZSet,
		'x': command.EvExpired, 'e': command.EvEvicted, 't': command.EvStream, 'm': command.EvKeyMiss,
		'd': command.EvModule, 'n': command.EvNew,
	}
	var m command.Event
	for i := 0; i < len(flags); i++ {
		if flags[i] == 'A' {
			m |= command.EvGeneric | command.EvString | command.EvList | command.EvSet | command.EvHash |
				command.EvZSet | command.EvExpired | command.EvEvicted | command.EvStream | command.EvModule
			continue
		}
		m |= letters[flags[i]]
	}
	// Without K or E nothing is published.
	if m&(command.EvKeyspace|command.EvKeyevent) == 0 {
		return 0
	}
	return m
}

func (s *Server) registerPubsubCommands(h func(string, srvHandler)) {
	// (Un)subscribe confirmations are pushed, in RESP2 too: CLIENT REPLY
	// OFF does not silence them (confirm moves them out of the reply).
	h("subscribe", func(s *Server, c *client, ctx *command.Ctx) { s.subscribe(c, ctx, globalChannels); confirm(c, ctx) })
	h("ssubscribe", func(s *Server, c *client, ctx *command.Ctx) { s.subscribe(c, ctx, shardChannels); confirm(c, ctx) })
	h("psubscribe", func(s *Server, c *client, ctx *command.Ctx) { s.psubscribe(c, ctx); confirm(c, ctx) })
	h("unsubscribe", func(s *Server, c *client, ctx *command.Ctx) {
		s.unsubscribe(c, ctx.W, globalChannels, ctx.Args[1:])
		confirm(c, ctx)
	})
	h("sunsubscribe", func(s *Server, c *client, ctx *command.Ctx) {
		s.unsubscribe(c, ctx.W, shardChannels, ctx.Args[1:])
		confirm(c, ctx)
	})
	h("punsubscribe", func(s *Server, c *client, ctx *command.Ctx) {
		s.punsubscribe(c, ctx.W, ctx.Args[1:])
		confirm(c, ctx)
	})
	h("publish", func(s *Server, c *client, ctx *command.Ctx) {
		ctx.W.Int(s.publish(globalChannels, ctx.Args[1], ctx.Args[2]))
		// Replicas' subscribers get the message too.
		ctx.ForcePropagation(command.ToReplicas)
	})
	h("spublish", func(s *Server, c *client, ctx *command.Ctx) {
		ctx.W.Int(s.publish(shardChannels, ctx.Args[1], ctx.Args[2]))
		ctx.ForcePropagation(command.ToReplicas)
	})
	h("pubsub|channels", func(s *Server, c *client, ctx *command.Ctx) { s.pubsubChannels(ctx, s.ps.channels) })
	h("pubsub|shardchannels", func(s *Server, c *client, ctx *command.Ctx) { s.pubsubChannels(ctx, s.ps.shard) })
	h("pubsub|numsub", func(s *Server, c *client, ctx *command.Ctx) { pubsubNumsub(ctx, s.ps.channels) })
	h("pubsub|shardnumsub", func(s *Server, c *client, ctx *command.Ctx) { pubsubNumsub(ctx, s.ps.shard) })
	h("pubsub|numpat", func(s *Server, c *client, ctx *command.Ctx) { ctx.W.Int(int64(len(s.ps.patterns))) })
	h("pubsub|help", func(s *Server, c *client, ctx *command.Ctx) {
		command.Help(ctx.W, "PUBSUB", []string{
			"CHANNELS [<pattern>]",
			"    Return the currently active channels matching a <pattern> (default: '*').",
			"NUMPAT",
			"    Return number of subscriptions to patterns.",
			"NUMSUB [<channel> ...]",
			"    Return the number of subscribers for the specified channels, excluding",
			"    pattern subscriptions(default: no channels).",
			"SHARDCHANNELS [<pattern>]",
			"    Return the currently active shard level channels matching a <pattern> (default: '*').",
			"SHARDNUMSUB [<shardchannel> ...]",
			"    Return the number of subscribers for the specified shard level channel(s)",
		})
	})
}

// confirm sends a client's (un)subscribe confirmations as pushes when
// CLIENT REPLY OFF or SKIP would drop its reply. Inside MULTI they stay
// in the EXEC reply.
func confirm(c *client, ctx *command.Ctx) {
	if c.flags&(flagReplyOff|flagReplySkip) != 0 && c.s.eng.Depth() == 1 {
		c.pushReply(ctx.W)
	}
}

func (s *Server) pubsubChannels(ctx *command.Ctx, t map[string][]*client) {
	if len(ctx.Args) > 3 {
		ctx.ArityErr()
		return
	}
	var names []string
	for name := range t {
		if len(ctx.Args) == 2 || glob.Match(ctx.Args[2], []byte(name), false) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	ctx.W.Array(len(names))
	for _, n := range names {
		ctx.W.BulkString(n)
	}
}

func pubsubNumsub(ctx *command.Ctx, t map[string][]*client) {
	ctx.W.Map(len(ctx.Args) - 2)
	for _, ch := range ctx.Args[2:] {
		ctx.W.Bulk(ch)
		ctx.W.Int(int64(len(t[string(ch)])))
	}
}

// pubsubAllowed lists what a RESP2 client in subscribed state may run.
func pubsubAllowed(cmd *command.Command) bool {
	switch cmd.Name {
	case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset":
		return true
	}
	return false
}
