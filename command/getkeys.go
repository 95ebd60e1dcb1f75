package command

import (
	"errors"
	"fmt"

	"github.com/redoubt-db/redoubt/cnum"
	"github.com/redoubt-db/redoubt/protocol"
)

// KeyFlag is a key spec flag: how a command uses the keys a spec finds.
type KeyFlag uint16

// Key spec flags, in the order COMMAND INFO lists them.
const (
	KeyRO KeyFlag = 1 << iota
	KeyRW
	KeyOW
	KeyRM
	KeyAccess
	KeyUpdate
	KeyInsert
	KeyDelete
	KeyNotKey
	KeyIncomplete
	KeyVariableFlags
)

var keyFlagNames = [...]string{"RO", "RW", "OW", "RM", "access", "update", "insert",
	"delete", "not_key", "incomplete", "variable_flags"}

// Names lists the flags by their COMMAND INFO names.
func (f KeyFlag) Names() []string {
	var out []string
	for i, n := range keyFlagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

func parseKeyFlags(names []string) (KeyFlag, error) {
	var f KeyFlag
next:
	for _, name := range names {
		for i, n := range keyFlagNames {
			if n == name {
				f |= 1 << i
				continue next
			}
		}
		return 0, fmt.Errorf("unknown key spec flag %q", name)
	}
	return f, nil
}

// KeyRef is one key argument of a call: its index in the arguments (the
// command name is 0) and what the command does to it. Keys found by a
// command-specific finder rather than the key specs may have no flags,
// as in Redis.
type KeyRef struct {
	Pos   int
	Flags KeyFlag
}

// Errors of key extraction, worded as COMMAND GETKEYS words them.
var (
	ErrNoKeyArgs   = errors.New("The command has no key arguments")
	ErrKeyArgCount = errors.New("Invalid number of arguments specified for command")
	ErrBadKeyArgs  = errors.New("Invalid arguments specified for command")
	errInvalidSpec = errors.New("key spec does not apply")
)

// Keys returns the key arguments of a call of c; see Spec.AppendKeys.
func (c *Command) Keys(args [][]byte) ([]KeyRef, error) {
	return c.Spec.AppendKeys(nil, args)
}

// HasKeys reports whether the command can take keys at all.
func (s *Spec) HasKeys() bool { return s.getKeys != nil || s.hasKeySpec }

// AppendKeys appends the key arguments of a call to dst, found as Redis's
// getKeysFromCommandWithSpecs finds them: from the key specs when they
// are complete and their flags fixed, otherwise with the command's own
// finder. args is the whole call, command (and subcommand) name included.
// It returns ErrNoKeyArgs for a command that never takes keys,
// ErrKeyArgCount when the arity refuses the call, and ErrBadKeyArgs when
// it finds no key in a command whose keys are mandatory.
func (s *Spec) AppendKeys(dst []KeyRef, args [][]byte) ([]KeyRef, error) {
	if !s.HasKeys() {
		return dst, ErrNoKeyArgs
	}
	if (s.Arity > 0 && len(args) != s.Arity) || len(args) < -s.Arity {
		return dst, ErrKeyArgCount
	}
	n := len(dst)
	var err error = errInvalidSpec
	if s.hasKeySpec && !s.varFlags {
		dst, err = s.keysFromSpecs(dst, args)
	}
	if err != nil && s.getKeys != nil {
		dst = s.getKeys(dst, args)
	}
	if len(dst) == n && !s.noMandatoryKeys {
		return dst, ErrBadKeyArgs
	}
	return dst, nil
}

// keysFromSpecs applies the key specs (Redis's getKeysUsingKeySpecs). It
// fails, returning dst as it was, if a spec is unknown or incomplete, or
// does not fit the arguments.
func (s *Spec) keysFromSpecs(dst []KeyRef, args [][]byte) ([]KeyRef, error) {
	n, argc := len(dst), len(args)
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		if ks.flags&KeyNotKey != 0 {
			continue
		}
		var first int
		switch ks.BeginSearch {
		case "index":
			first = ks.Index
		case "keyword":
			if first = ks.findKeyword(args); first == 0 {
				continue
			}
		default:
			return dst[:n], errInvalidSpec
		}
		var last int
		switch ks.FindKeys {
		case "range":
			switch {
			case ks.LastKey >= 0:
				last = first + ks.LastKey
			case ks.Limit == 0:
				last = argc + ks.LastKey
			default:
				last = first + (argc-first)/ks.Limit + ks.LastKey
			}
		case "keynum":
			at := first + ks.KeyNumIdx
			if at >= argc {
				return dst[:n], errInvalidSpec
			}
			num, ok := protocol.ParseInt(args[at])
			if !ok || num < 0 {
				return dst[:n], errInvalidSpec
			}
			first += ks.FirstKey
			// Redis keeps the count in a C int.
			last = first + int(int32(num)) - 1
		default:
			return dst[:n], errInvalidSpec
		}
		if last >= argc || last < first || first >= argc {
			return dst[:n], errInvalidSpec
		}
		for p := first; p <= last; p += ks.KeyStep {
			dst = append(dst, KeyRef{Pos: p, Flags: ks.flags})
		}
		if ks.flags&KeyIncomplete != 0 {
			return dst[:n], errInvalidSpec
		}
	}
	return dst, nil
}

// findKeyword returns the index after the spec's keyword, or 0 if it is
// not there. The search runs forwards from StartFrom, or backwards from
// the end when StartFrom is negative, and never looks at the last
// argument (forwards) or the first one (backwards).
func (ks *KeySpec) findKeyword(args [][]byte) int {
	argc := len(args)
	start, end, step := ks.StartFrom, argc-1, 1
	if ks.StartFrom <= 0 {
		start, end = argc+ks.StartFrom, 1
	}
	if start > end {
		step = -1
	}
	for i := start; i != end; i += step {
		if i >= argc || i < 1 {
			break
		}
		if isOpt(args[i], ks.Keyword) {
			return i + 1
		}
	}
	return 0
}

// keyFinder is a command's own key finder (Redis's getkeys_proc), used when
// the key specs cannot say where the keys are.
type keyFinder func(dst []KeyRef, args [][]byte) []KeyRef

// keyFinders are the commands with their own finder in Redis 7.0.
var keyFinders = map[string]keyFinder{
	"zunionstore": numKeysFinder(1, 2, 3), "zinterstore": numKeysFinder(1, 2, 3),
	"zdiffstore": numKeysFinder(1, 2, 3), "zunion": numKeysFinder(0, 1, 2),
	"zinter": numKeysFinder(0, 1, 2), "zdiff": numKeysFinder(0, 1, 2),
	"zintercard": numKeysFinder(0, 1, 2), "sintercard": numKeysFinder(0, 1, 2),
	"eval": numKeysFinder(0, 2, 3), "evalsha": numKeysFinder(0, 2, 3),
	"eval_ro": numKeysFinder(0, 2, 3), "evalsha_ro": numKeysFinder(0, 2, 3),
	"fcall": numKeysFinder(0, 2, 3), "fcall_ro": numKeysFinder(0, 2, 3),
	"lmpop": numKeysFinder(0, 1, 2), "zmpop": numKeysFinder(0, 1, 2),
	"blmpop": numKeysFinder(0, 2, 3), "bzmpop": numKeysFinder(0, 2, 3),
	"sort": sortKeys, "sort_ro": sortROKeys, "migrate": migrateKeys,
	"georadius": georadiusKeys, "georadiusbymember": georadiusKeys,
	"xread": xreadKeys, "xreadgroup": xreadKeys,
	"set": setKeys, "bitfield": bitfieldKeys,
}

// numKeysFinder finds the keys of "CMD [dest] numkeys key ... [options]":
// the count is at countAt, the keys start at firstAt, and store, if not
// 0, is the destination key. It parses the count as C's atoi does and
// finds nothing if the count is out of range. The keys have no flags.
func numKeysFinder(store, countAt, firstAt int) keyFinder {
	return func(dst []KeyRef, args [][]byte) []KeyRef {
		if countAt >= len(args) {
			return dst
		}
		num := atoi(args[countAt])
		if num < 1 || num > len(args)-firstAt {
			return dst
		}
		for i := 0; i < num; i++ {
			dst = append(dst, KeyRef{Pos: firstAt + i})
		}
		if store != 0 {
			dst = append(dst, KeyRef{Pos: store})
		}
		return dst
	}
}

// atoi is C's atoi as glibc has it: strtol (leading white space, a sign,
// digits up to the first non-digit, saturating at the int64 limits)
// truncated to a C int.
func atoi(b []byte) int {
	n, _, _ := cnum.Strtoll(CString(b), 10)
	return int(int32(n))
}

// sortROKeys: SORT_RO reads its first argument; BY and GET patterns name
// keys only at run time.
func sortROKeys(dst []KeyRef, _ [][]byte) []KeyRef {
	return append(dst, KeyRef{Pos: 1, Flags: KeyRO | KeyAccess})
}

// sortKeys adds to SORT's first argument the key of its last STORE
// option, skipping the arguments of LIMIT, GET and BY as Redis does.
func sortKeys(dst []KeyRef, args [][]byte) []KeyRef {
	dst = append(dst, KeyRef{Pos: 1, Flags: KeyRO | KeyAccess})
	store := 0
	for i := 2; i < len(args); i++ {
		switch {
		case isOpt(args[i], "limit"):
			i += 2
		case isOpt(args[i], "store") && i+1 < len(args):
			store = i + 1
		case isOpt(args[i], "get"), isOpt(args[i], "by"):
			i++
		}
	}
	if store != 0 {
		dst = append(dst, KeyRef{Pos: store, Flags: KeyOW | KeyUpdate})
	}
	return dst
}

// migrateKeys finds MIGRATE's key: the third argument, or the arguments
// after KEYS when the key argument is empty.
func migrateKeys(dst []KeyRef, args [][]byte) []KeyRef {
	first, num := 3, 1
	if len(args) > 6 {
	scan:
		for i := 6; i < len(args); i++ {
			switch {
			case isOpt(args[i], "keys"):
				if len(args[3]) > 0 {
					// A syntax error, which MIGRATE itself reports.
					num = 0
				} else {
					first, num = i+1, len(args)-i-1
				}
				break scan
			case isOpt(args[i], "auth"):
				i++
			case isOpt(args[i], "auth2"):
				i += 2
			}
		}
	}
	for i := 0; i < num; i++ {
		dst = append(dst, KeyRef{Pos: first + i, Flags: KeyRW | KeyAccess | KeyDelete})
	}
	return dst
}

// georadiusKeys finds GEORADIUS's key and the last STORE or STOREDIST
// destination.
func georadiusKeys(dst []KeyRef, args [][]byte) []KeyRef {
	dst = append(dst, KeyRef{Pos: 1})
	store := 0
	for i := 5; i < len(args); i++ {
		if (isOpt(args[i], "store") || isOpt(args[i], "storedist")) && i+1 < len(args) {
			store = i + 1
			i++
		}
	}
	if store != 0 {
		dst = append(dst, KeyRef{Pos: store})
	}
	return dst
}

// xreadKeys finds the streams of XREAD and XREADGROUP: the first half of
// the arguments after STREAMS, once the options before it are skipped.
func xreadKeys(dst []KeyRef, args [][]byte) []KeyRef {
	streams := -1
scan:
	for i := 1; i < len(args); i++ {
		switch {
		case isOpt(args[i], "block"), isOpt(args[i], "count"):
			i++
		case isOpt(args[i], "group"):
			i += 2
		case isOpt(args[i], "noack"):
		case isOpt(args[i], "streams"):
			streams = i
			break scan
		default:
			break scan
		}
	}
	if streams < 0 {
		return dst
	}
	num := len(args) - streams - 1
	if num == 0 || num%2 != 0 {
		return dst
	}
	for i := streams + 1; i < len(args)-num/2; i++ {
		dst = append(dst, KeyRef{Pos: i})
	}
	return dst
}

// setKeys: SET's GET option makes it read the key as well.
func setKeys(dst []KeyRef, args [][]byte) []KeyRef {
	for i := 3; i < len(args); i++ {
		if isOpt(args[i], "get") {
			return append(dst, KeyRef{Pos: 1, Flags: KeyRW | KeyAccess | KeyUpdate})
		}
	}
	return append(dst, KeyRef{Pos: 1, Flags: KeyOW | KeyUpdate})
}

// bitfieldKeys: BITFIELD only reads its key unless it has a SET or INCRBY
// operation, or arguments it cannot parse.
func bitfieldKeys(dst []KeyRef, args [][]byte) []KeyRef {
	readOnly := true
scan:
	for i := 2; i < len(args); i++ {
		more := len(args) - i - 1
		switch {
		case isOpt(args[i], "get") && more >= 2:
			i += 2
		case isOpt(args[i], "overflow") && more >= 1:
			i++
		default:
			// SET and INCRBY write; anything else is a syntax error,
			// treated as a write to be safe.
			readOnly = false
			break scan
		}
	}
	if readOnly {
		return append(dst, KeyRef{Pos: 1, Flags: KeyRO | KeyAccess})
	}
	return append(dst, KeyRef{Pos: 1, Flags: KeyRW | KeyAccess | KeyUpdate})
}
