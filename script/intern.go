package script

import lua "github.com/yuin/gopher-lua"

// Lua strings made from bytes (a command's bulk or status reply, KEYS
// and ARGV) cost two allocations in gopher-lua: the string's bytes and
// the interface box an LValue needs. Scripts keep meeting the same short
// ones: a status ("OK", "QUEUED"), a rate limiter's settings, a value
// read back, a hot key. strCache remembers the boxed values of recent
// short strings in a small direct-mapped table; Lua strings are
// immutable, so one value may stand for every occurrence. A miss costs
// a hash of at most maxInterned bytes.
const (
	maxInterned = 64
	internSlots = 256
)

type strCache struct {
	slots [internSlots]struct {
		s string
		v lua.LValue
	}
}

// str returns b as a Lua string, shared with earlier calls for the same
// short bytes.
func (c *strCache) str(b []byte) lua.LValue {
	if len(b) == 0 {
		return lua.LString("")
	}
	if len(b) > maxInterned {
		return lua.LString(b)
	}
	h := uint32(2166136261)
	for _, x := range b {
		h = (h ^ uint32(x)) * 16777619
	}
	e := &c.slots[(h^h>>16)&(internSlots-1)]
	if e.v != nil && e.s == string(b) {
		return e.v
	}
	s := string(b)
	e.s, e.v = s, lua.LString(s)
	return e.v
}
