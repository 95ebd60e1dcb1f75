package script

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// Version is the Redis version scripts see (REDIS_VERSION); set it
// before New.
var Version = "7.0.15"

func versionNum(v string) int {
	n := 0
	for _, part := range strings.SplitN(v, ".", 3) {
		x := 0
		for _, c := range part {
			if c < '0' || c > '9' {
				break
			}
			x = x*10 + int(c-'0')
		}
		n = n<<8 | x
	}
	return n
}

// redisAPI builds the redis table (Redis's luaRegisterRedisAPI).
func (vm *VM) redisAPI() *lua.LTable {
	L := vm.L
	t := L.NewTable()
	set := func(name string, fn lua.LGFunction) { t.RawSetString(name, L.NewFunction(fn)) }
	set("call", func(L *lua.LState) int { return vm.redisCall(L, true) })
	set("pcall", func(L *lua.LState) int { return vm.redisCall(L, false) })
	set("log", vm.redisLog)
	t.RawSetString("LOG_DEBUG", lua.LNumber(0))
	t.RawSetString("LOG_VERBOSE", lua.LNumber(1))
	t.RawSetString("LOG_NOTICE", lua.LNumber(2))
	t.RawSetString("LOG_WARNING", lua.LNumber(3))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(versionNum(Version)))
	t.RawSetString("REDIS_VERSION", lua.LString(Version))
	set("setresp", vm.redisSetResp)
	set("sha1hex", redisSha1hex)
	set("error_reply", vm.redisErrorReply)
	set("status_reply", redisStatusReply)
	set("set_repl", vm.redisSetRepl)
	t.RawSetString("REPL_NONE", lua.LNumber(0))
	t.RawSetString("REPL_AOF", lua.LNumber(ReplAOF))
	t.RawSetString("REPL_SLAVE", lua.LNumber(ReplReplica))
	t.RawSetString("REPL_REPLICA", lua.LNumber(ReplReplica))
	t.RawSetString("REPL_ALL", lua.LNumber(ReplAll))
	set("acl_check_cmd", vm.redisACLCheck)
	set("breakpoint", vm.redisBreakpoint)
	set("debug", vm.redisDebug)
	set("replicate_commands", func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	return t
}

// raise raises an error in Redis's table form.
func raise(L *lua.LState, msg string) {
	L.Error(errorTable(L, msg, false), 0)
}

// redisCall is redis.call (raise set) and redis.pcall.
func (vm *VM) redisCall(L *lua.LState, raiseErr bool) int {
	r := vm.run
	if r == nil {
		raise(L, "redis.call/pcall can only be called inside a script invocation")
	}
	argc := L.GetTop()
	if argc == 0 {
		vm.ldbLogError("Please specify at least one argument for this redis lib call")
		t := errorTable(L, "Please specify at least one argument for this redis lib call", false)
		if raiseErr {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	// Arguments are copied into one reused buffer: commands may keep
	// them only by copying, as they do the arguments of a client.
	buf := vm.argBuf[:0]
	var ends [16]int
	offs := ends[:0]
	for i := 1; i <= argc; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			buf = append(buf, v...)
		case lua.LNumber:
			// %.17g, not Lua's own format, which loses precision.
			buf = protocolAppendG(buf, float64(v))
		default:
			vm.argBuf = buf
			vm.ldbLogError("Lua redis lib command arguments must be strings or integers")
			t := errorTable(L, "Lua redis lib command arguments must be strings or integers", false)
			if raiseErr {
				L.Error(t, 0)
			}
			L.Push(t)
			return 1
		}
		offs = append(offs, len(buf))
	}
	vm.argBuf = buf
	args := vm.args[:0]
	start := 0
	for _, end := range offs {
		args = append(args, buf[start:end:end])
		start = end
	}
	vm.args = args
	logging := vm.ldbLogging()
	if logging {
		vm.ldbLogCommand(args)
		r.Rejected = false
	}
	reply := vm.host.Call(r, args)
	if logging {
		vm.ldbLogCallReply(r, reply)
	}
	if len(reply) > 0 && reply[0] != '-' && resultDiscarded(L) {
		// redis.call('set', k, v) as a statement: nobody sees the
		// reply, whose table ({ok = 'OK'}: a table, two maps, a slice
		// and boxed keys in gopher-lua) would be most of what a short
		// script allocates.
		L.Push(lua.LNil)
		return 1
	}
	v, _ := vm.fromRESP(reply)
	if raiseErr && len(reply) > 0 && reply[0] == '-' {
		L.Error(v, 0)
	}
	L.Push(v)
	return 1
}

// resultDiscarded reports whether the running Go function was called by
// a Lua function's CALL that keeps no result (a call as a statement):
// its C operand is 1 (Lua 5.1's "C-1 results"). From a Go caller
// (pcall), a TAILCALL, or without access to frames, it is false.
func resultDiscarded(L *lua.LState) bool {
	fn, pc := callerFrame(L)
	if fn == nil || fn.IsG || pc < 0 || pc >= len(fn.Proto.Code) {
		return false
	}
	inst := fn.Proto.Code[pc]
	return int(inst>>26) == lua.OP_CALL && int(inst>>9)&0x1ff == 1
}

func protocolAppendG(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || f != f {
		// C's %.17g spelling.
		switch {
		case f != f && math.Signbit(f):
			return append(b, "-nan"...)
		case f != f:
			return append(b, "nan"...)
		case f > 0:
			return append(b, "inf"...)
		default:
			return append(b, "-inf"...)
		}
	}
	return appendG17(b, f)
}

// luaPcall is Lua's pcall with Redis 7's twist: an error raised as a
// table {err = ...} reaches the handler as its message string, as in
// Redis 6 (Redis's luaRedisPcall).
func (vm *VM) luaPcall(L *lua.LState) int {
	L.CheckAny(1)
	top := L.GetTop()
	fn := L.Get(1)
	switch fn.(type) {
	case *lua.LTable, *lua.LUserData:
		// Lua's error, without a position (see callerr.go).
		if L.GetMetaField(fn, "__call") == lua.LNil {
			L.SetTop(top)
			L.Push(lua.LFalse)
			L.Push(lua.LString("attempt to call a " + lua51.ValueTypeName(fn) + " value"))
			return 2
		}
	}
	L.Push(fn)
	for i := 2; i <= top; i++ {
		L.Push(L.Get(i))
	}
	err := L.PCall(top-1, lua.MultRet, vm.pcallh)
	if err != nil {
		var e lua.LValue = lua.LNil
		if ae, ok := err.(*lua.ApiError); ok {
			e = ae.Object
		}
		if t, ok := e.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				e = s
			}
		}
		L.SetTop(top)
		L.Push(lua.LFalse)
		L.Push(e)
		return 2
	}
	n := L.GetTop() - top
	L.Push(lua.LTrue)
	L.Insert(L.Get(-1), top+1)
	L.Pop(1)
	return n + 1
}

func (vm *VM) redisLog(L *lua.LState) int {
	argc := L.GetTop()
	if argc < 2 {
		raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(1).(lua.LString); !isStr || !isNumeric(string(s)) {
			raise(L, "First argument must be a number (log level).")
		}
		lv = lua.LNumber(parseDouble(string(L.Get(1).(lua.LString))))
	}
	level := int(lv)
	if level < 0 || level > 3 {
		raise(L, "Invalid debug level.")
	}
	var b strings.Builder
	for i := 2; i <= argc; i++ {
		var s string
		switch v := L.Get(i).(type) {
		case lua.LString:
			s = string(v)
		case lua.LNumber:
			s = formatNumber(float64(v))
		default:
			continue
		}
		if i != 2 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	vm.host.Log(level, b.String())
	return 0
}

func isNumeric(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	_, err := parseNumber(s)
	return err == nil
}

func (vm *VM) redisSetResp(L *lua.LState) int {
	r := vm.run
	if r == nil {
		raise(L, "redis.setresp can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		raise(L, "redis.setresp() requires one argument.")
	}
	n := L.CheckNumber(1)
	if n != 2 && n != 3 {
		raise(L, "RESP version must be 2 or 3.")
	}
	r.Resp = int(n)
	return 0
}

func (vm *VM) redisSetRepl(L *lua.LState) int {
	r := vm.run
	if r == nil {
		raise(L, "redis.set_repl can only be called inside a script invocation")
	}
	if L.GetTop() != 1 {
		raise(L, "redis.set_repl() requires two arguments.")
	}
	flags := int(L.CheckNumber(1))
	if flags&^ReplAll != 0 {
		raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	r.Repl = flags
	return 0
}

// redisACLCheck is redis.acl_check_cmd: whether the script's caller may
// run a command, with those arguments; an unknown command is an error
// as in Redis.
func (vm *VM) redisACLCheck(L *lua.LState) int {
	r := vm.run
	if r == nil {
		raise(L, "redis.acl_check_cmd can only be called inside a script invocation")
	}
	if L.GetTop() == 0 {
		raise(L, "Please specify at least one argument for this redis lib call")
	}
	for i := 1; i <= L.GetTop(); i++ {
		switch L.Get(i).(type) {
		case lua.LString, lua.LNumber:
		default:
			raise(L, "Lua redis lib command arguments must be strings or integers")
		}
	}
	allowed := true
	if checker, ok := vm.host.(interface {
		ACLCheckCommand(args []string) (known, allowed bool)
	}); ok {
		args := make([]string, L.GetTop())
		for i := range args {
			args[i] = L.ToString(i + 1)
		}
		var known bool
		if known, allowed = checker.ACLCheckCommand(args); !known {
			raise(L, "Invalid command passed to redis.acl_check_cmd()")
		}
	}
	L.Push(lua.LBool(allowed))
	return 1
}

func redisSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "wrong number of arguments")
	}
	var s string
	switch v := L.Get(1).(type) {
	case lua.LString:
		s = string(v)
	case lua.LNumber:
		s = formatNumber(float64(v))
	}
	L.Push(lua.LString(SHA1Hex([]byte(s))))
	return 1
}

// SHA1Hex is the script's name: the lower-case hex SHA1 of its body.
func SHA1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

func (vm *VM) redisErrorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		vm.ldbLogError("wrong number or type of arguments")
		L.Push(errorTable(L, "wrong number or type of arguments", false))
		return 1
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	vm.ldbLogError(msg)
	L.Push(errorTable(L, msg, false))
	return 1
}

func redisStatusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, "wrong number or type of arguments", false))
		return 1
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

// ---- math.random: Redis's own generator (rand48), the same sequence on
// every platform ----

const (
	rand48A    = 0x5DEECE66D
	rand48C    = 0xB
	rand48Mask = 1<<48 - 1
	lrand48Max = math.MaxInt32
)

// rand48Init is the generator's state before any seed (rand48's
// documented initial value).
const rand48Init = 0x1234ABCD330E

func rand48Seed(seed int32) uint64 {
	return (uint64(uint32(seed)) << 16) | 0x330E
}

func (vm *VM) lrand48() int32 {
	vm.rand48 = (rand48A*vm.rand48 + rand48C) & rand48Mask
	return int32(vm.rand48 >> 17)
}

func (vm *VM) mathRandom(L *lua.LState) int {
	if vm.run == nil {
		L.RaiseError("math.random can only be called inside a script invocation")
	}
	r := float64(vm.lrand48()%lrand48Max) / float64(lrand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := checkInt(L, 1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := checkInt(L, 1), checkInt(L, 2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (vm *VM) mathRandomSeed(L *lua.LState) int {
	if vm.run == nil {
		L.RaiseError("math.randomseed can only be called inside a script invocation")
	}
	vm.rand48 = rand48Seed(int32(checkInt(L, 1)))
	return 0
}

// checkInt is Lua 5.1's luaL_checkint: a number, or a string that reads
// as one, truncated.
func checkInt(L *lua.LState, i int) int {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return int(v)
	case lua.LString:
		if f, err := parseNumber(strings.TrimSpace(string(v))); err == nil {
			return int(f)
		}
	}
	L.TypeError(i, lua.LTNumber)
	return 0
}
