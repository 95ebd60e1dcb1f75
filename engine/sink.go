package engine

import "github.com/redoubt-db/redoubt/command"

// sink holds the effects of the running unit that leave when it ends.
// Their bytes (keys, arguments) are copied into buf, since they may alias
// the query buffer or arena memory that a later step of the unit frees;
// every slice is reused, so a steady stream of units allocates nothing.
type sink struct {
	buf   []byte
	notes []note
	ops   []op
	spans []span // the arguments of ops, in order
	keys  []readyKey
	// args is scratch for materialising an op's arguments.
	args [][]byte
}

type span struct{ off, n int }

// sinkKeep is the most room the sink keeps between units.
const sinkKeep = 1 << 20

type note struct {
	class command.Event
	event string
	db    int
	key   span
}

type op struct {
	db         int
	target     command.Target
	first, num int // spans[first:first+num]
}

type readyKey struct {
	db  int
	key string
}

func (s *sink) save(b []byte) span {
	sp := span{len(s.buf), len(b)}
	s.buf = append(s.buf, b...)
	return sp
}

func (s *sink) bytes(sp span) []byte { return s.buf[sp.off : sp.off+sp.n : sp.off+sp.n] }

func (s *sink) notify(class command.Event, event string, key []byte, db int) {
	s.notes = append(s.notes, note{class: class, event: event, db: db, key: s.save(key)})
}

func (s *sink) propagate(db int, target command.Target, args [][]byte) {
	o := op{db: db, target: target, first: len(s.spans), num: len(args)}
	for _, a := range args {
		s.spans = append(s.spans, s.save(a))
	}
	s.ops = append(s.ops, o)
}

func (s *sink) ready(db int, key []byte) {
	for _, k := range s.keys {
		if k.db == db && k.key == string(key) {
			return
		}
	}
	s.keys = append(s.keys, readyKey{db, string(key)})
}

func (s *sink) opArgs(o op) [][]byte {
	s.args = s.args[:0]
	for _, sp := range s.spans[o.first : o.first+o.num] {
		s.args = append(s.args, s.bytes(sp))
	}
	return s.args
}

var (
	multiArgs = [][]byte{[]byte("MULTI")}
	execArgs  = [][]byte{[]byte("EXEC")}
)

// Mark is a point in the running unit's effects (Engine.Mark).
type Mark struct{ buf, notes, ops, spans, keys int }

// Mark returns the point the running unit's effects have reached, to
// drop what follows with Discard.
func (e *Engine) Mark() Mark {
	s := &e.sink
	return Mark{len(s.buf), len(s.notes), len(s.ops), len(s.spans), len(s.keys)}
}

// Discard drops the effects recorded since m: their propagation, their
// notifications and the keys they made ready. A script rolled back, or
// abandoned by a shutdown, leaves nothing behind this way.
func (e *Engine) Discard(m Mark) {
	s := &e.sink
	s.buf, s.notes, s.ops, s.spans, s.keys = s.buf[:m.buf], s.notes[:m.notes], s.ops[:m.ops], s.spans[:m.spans], s.keys[:m.keys]
}

// Flush hands the ended unit's effects on, in Redis's order: the
// propagated commands, then the notifications, then the clients blocked
// on keys that became ready. Units run to serve those clients flush
// their own propagation and notifications, and Flush serves the keys
// they make ready in turn, until none is left.
func (e *Engine) Flush() {
	s := &e.sink
	if len(s.ops) > 0 {
		e.flushPropagation()
	}
	for i := 0; i < len(s.notes); i++ {
		n := s.notes[i]
		e.host.Publish(n.class, n.event, s.bytes(n.key), n.db)
	}
	s.notes = s.notes[:0]
	s.buf = s.buf[:0]
	if cap(s.buf) > sinkKeep {
		// A unit that propagated a big value does not leave its copy's
		// room behind for good.
		s.buf = nil
	}
	if len(s.keys) == 0 || e.serving {
		return
	}
	e.serving = true
	for len(s.keys) > 0 {
		keys := s.keys
		s.keys = nil
		for _, k := range keys {
			e.host.ServeReady(k.db, []byte(k.key))
		}
	}
	e.serving = false
}

// flushPropagation feeds the unit's propagated commands, wrapped in
// MULTI/EXEC when there are several (Redis's propagatePendingCommands):
// MULTI in the database of the first, EXEC in that of the last, so that
// no SELECT comes between them and their neighbours.
func (e *Engine) flushPropagation() {
	s := &e.sink
	wrap := len(s.ops) > 1 && !e.noMulti
	if wrap {
		e.feed(s.ops[0].db, command.ToAll, multiArgs)
	}
	for _, o := range s.ops {
		e.feed(o.db, o.target, s.opArgs(o))
	}
	if wrap {
		e.feed(s.ops[len(s.ops)-1].db, command.ToAll, execArgs)
	}
	s.ops = s.ops[:0]
	s.spans = s.spans[:0]
}

func (e *Engine) feed(db int, target command.Target, args [][]byte) {
	for _, f := range e.feeds {
		if f.target&target != 0 {
			f.f.Feed(db, args)
		}
	}
}
