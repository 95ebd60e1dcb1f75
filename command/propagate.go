package command

import "strconv"

// Propagation: what a command sends to the AOF and to replicas. By
// default a command that changed the dataset (Dirty > 0) is propagated
// as it was called. A handler changes that the way Redis's commands do:
//
//   - Rewrite replaces the arguments propagated, where replaying the call
//     would not give the same result (relative expiry becomes absolute,
//     INCRBYFLOAT becomes SET, a blocking pop the plain pop);
//   - PreventPropagation drops the call itself, when it propagates its
//     effects one by one with AlsoPropagate (SPOP with a count, the
//     stream group commands);
//   - AlsoPropagate adds a command ahead of the call's own;
//   - ForcePropagation sends the call even if it changed nothing
//     (FLUSHALL on an empty server, PUBLISH to replicas).
//
// The engine collects the propagated commands of an execution unit (a
// command, an EXEC, a script) and hands them on together when the unit
// ends, wrapped in MULTI/EXEC when there is more than one.

// Target says where a propagated command goes (Redis's PROPAGATE_AOF and
// PROPAGATE_REPL).
type Target uint8

// Propagation targets.
const (
	ToAOF Target = 1 << iota
	ToReplicas
	ToAll = ToAOF | ToReplicas
)

// propagation is a call's propagation state: flags cleared by Reset,
// and buffers that outlive it, behind a pointer allocated on first use,
// so that a call that rewrites nothing pays nothing for them and a
// rewrite allocates nothing in steady state.
type propagation struct {
	prevent bool
	force   Target
	// rewritten: the command propagated is scratch.args.
	rewritten bool
	scratch   *propScratch
}

type propScratch struct {
	// args is the rewritten command; its bytes live in buf.
	args [][]byte
	buf  []byte
	// spare is where the next Rewrite copies to, as its arguments may
	// alias buf.
	spare     []byte
	spareArgs [][]byte
	// also is AlsoPropagate's copy of its arguments.
	also     []byte
	alsoArgs [][]byte
}

// Reset makes c the context of a new call, init, keeping c's scratch
// buffers.
func (c *Ctx) Reset(init Ctx) {
	p := c.prop.scratch
	*c = init
	c.prop.scratch = p
}

func (c *Ctx) propScratch() *propScratch {
	if c.prop.scratch == nil {
		c.prop.scratch = new(propScratch)
	}
	return c.prop.scratch
}

// Rewrite sets the command propagated for this call to args instead of
// the arguments it was called with (Redis's rewriteClientCommandVector).
// The arguments are copied: they may alias scratch space, or the
// arguments of an earlier Rewrite.
func (c *Ctx) Rewrite(args ...[]byte) {
	p := c.propScratch()
	buf, out := p.spare[:0], p.spareArgs[:0]
	n := 0
	for _, a := range args {
		n += len(a)
	}
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	for _, a := range args {
		buf = append(buf, a...)
		out = append(out, buf[len(buf)-len(a):len(buf):len(buf)])
	}
	p.spare, p.spareArgs = p.buf, p.args
	p.buf, p.args = buf, out
	c.prop.rewritten = true
}

// RewriteArg replaces argument i of the command propagated for this call
// (Redis's rewriteClientCommandArgument); i may be one past the end, to
// append an argument.
func (c *Ctx) RewriteArg(i int, arg []byte) {
	args := c.PropagatedArgs()
	var tmp [16][]byte
	out := append(tmp[:0], args...)
	if i == len(out) {
		out = append(out, arg)
	} else {
		out[i] = arg
	}
	c.Rewrite(out...)
}

// PropagatedArgs is the command this call propagates: its arguments, or
// what Rewrite set.
func (c *Ctx) PropagatedArgs() [][]byte {
	if c.prop.rewritten {
		return c.prop.scratch.args
	}
	return c.Args
}

// PreventPropagation drops this call from the propagated stream; what it
// sent with AlsoPropagate stays.
func (c *Ctx) PreventPropagation() { c.prop.prevent = true }

// ForcePropagation propagates this call to target even if it changed
// nothing.
func (c *Ctx) ForcePropagation(target Target) { c.prop.force |= target }

// AlsoPropagate adds a command, in the current database, to the unit's
// propagated stream ahead of this call's own. The arguments are copied
// first (so that they never escape a handler's stack) and only when
// something is propagated at all.
func (c *Ctx) AlsoPropagate(args ...[]byte) {
	if !c.E.Propagating(ToAll) {
		return
	}
	p := c.propScratch()
	p.also, p.alsoArgs = p.also[:0], p.alsoArgs[:0]
	for _, a := range args {
		p.also = append(p.also, a...)
	}
	off := 0
	for _, a := range args {
		p.alsoArgs = append(p.alsoArgs, p.also[off:off+len(a):off+len(a)])
		off += len(a)
	}
	c.E.Propagate(c.DB.ID, ToAll, p.alsoArgs...)
}

// Propagation reports where this call itself must be propagated and
// with which arguments; target is 0 when it is not propagated. The
// engine asks once the handler has returned.
func (c *Ctx) Propagation() (target Target, args [][]byte) {
	if c.prop.prevent {
		return 0, nil
	}
	if c.Dirty > 0 {
		target = ToAll
	}
	target |= c.prop.force
	return target, c.PropagatedArgs()
}

// FormatInt formats n into the call's scratch space, for rewritten
// arguments; the result is valid until the next FormatInt.
func (c *Ctx) FormatInt(n int64) []byte { return strconv.AppendInt(c.Buf[:0], n, 10) }
