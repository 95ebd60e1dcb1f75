package script

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/protocol"
)

// ---- RESP → Lua (Redis's redisProtocolToLuaType) ----

// fromRESP parses the RESP reply b, which the server wrote and is
// well-formed, and returns the Lua value it converts to. It returns the
// bytes after the reply.
func (vm *VM) fromRESP(b []byte) (lua.LValue, []byte) {
	L := vm.L
	line, rest := splitLine(b[1:])
	switch b[0] {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", vm.strs.str(line))
		return t, rest
	case '-':
		return errorTable(L, "-"+string(line), true), rest
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), rest
	case '$':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		return vm.strs.str(rest[:n]), rest[n+2:]
	case '*', '~', '%', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		switch b[0] {
		case '%':
			m := L.CreateTable(0, n)
			for i := 0; i < n; i++ {
				var k, v lua.LValue
				k, rest = vm.fromRESP(rest)
				v, rest = vm.fromRESP(rest)
				if k != lua.LNil {
					m.RawSet(k, v)
				}
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("map", m)
			return t, rest
		case '~':
			s := L.CreateTable(0, n)
			for i := 0; i < n; i++ {
				var k lua.LValue
				k, rest = vm.fromRESP(rest)
				if k != lua.LNil {
					s.RawSet(k, lua.LTrue)
				}
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("set", s)
			return t, rest
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var v lua.LValue
			v, rest = vm.fromRESP(rest)
			t.RawSetInt(i, v)
		}
		return t, rest
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), rest
	case ',':
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(parseDouble(string(line))))
		return t, rest
	case '_':
		return lua.LNil, rest
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, rest
	case '=':
		n, _ := strconv.Atoi(string(line))
		body := rest[:n]
		rest = rest[n+2:]
		v := L.CreateTable(0, 2)
		v.RawSetString("string", lua.LString(body[4:]))
		v.RawSetString("format", lua.LString(body[:3]))
		t := L.CreateTable(0, 1)
		t.RawSetString("verbatim_string", v)
		return t, rest
	case '|':
		// Attributes are not shown to scripts: skip them, then read
		// the reply they annotate.
		n, _ := strconv.Atoi(string(line))
		for i := 0; i < 2*n; i++ {
			_, rest = vm.fromRESP(rest)
		}
		return vm.fromRESP(rest)
	}
	return lua.LNil, nil
}

func splitLine(b []byte) (line, rest []byte) {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return b[:i], b[i+2:]
		}
	}
	return b, nil
}

func parseDouble(s string) float64 {
	switch s {
	case "inf":
		s = "+Inf"
	case "-inf":
		s = "-Inf"
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// errorTable is the Lua form of an error reply, {err = "CODE message"}
// (Redis's luaPushErrorBuff): a message starting with '-' carries its
// own code, otherwise it gets ERR. counted marks an error a command
// already counted in errorstats.
func errorTable(L *lua.LState, msg string, counted bool) *lua.LTable {
	var code string
	if strings.HasPrefix(msg, "-") {
		if i := strings.IndexByte(msg, ' '); i >= 0 {
			code, msg = msg[1:i], msg[i+1:]
		} else {
			code, msg = "ERR", msg[1:]
		}
	} else {
		code = "ERR"
	}
	msg = strings.Trim(msg, "\r\n")
	t := L.CreateTable(0, 2)
	t.RawSetString("err", lua.LString(code+" "+msg))
	if counted {
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
	}
	return t
}

// ---- Lua → RESP (Redis's luaReplyToRedisReply) ----

// toRESP writes v as the script's reply. It returns an error reply's
// message ("" for other replies), and whether that error was counted
// in errorstats already.
func (vm *VM) toRESP(w *protocol.Writer, r *Run, v lua.LValue) (errMsg string, counted bool) {
	vm.writeValue(w, r, v, 0, &errMsg, &counted)
	return errMsg, counted
}

// maxReplyDepth bounds the nesting of a reply built from Lua tables;
// deeper levels are written as nulls. Redis's limit is its Lua stack
// (which fails the reply with "reached lua stack limit").
const maxReplyDepth = 1000

func (vm *VM) writeValue(w *protocol.Writer, r *Run, v lua.LValue, depth int, errMsg *string, counted *bool) {
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		if r.Resp == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(v))
		}
	case lua.LNumber:
		w.Int(int64(float64(v)))
	case *lua.LTable:
		if depth >= maxReplyDepth {
			w.Error("ERR reached lua stack limit")
			return
		}
		vm.writeTable(w, r, v, depth, errMsg, counted)
	default:
		w.Null()
	}
}

func (vm *VM) writeTable(w *protocol.Writer, r *Run, t *lua.LTable, depth int, errMsg *string, counted *bool) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		msg := string(e)
		ign := lua.LVAsBool(t.RawGetString("ignore_error_stats_update"))
		// The message carries its own code ("ERR ...", "WRONGTYPE ...").
		w.Error(msg)
		if depth == 0 {
			*errMsg, *counted = msg, ign
		}
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(strings.Map(crlfToSpace, string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		w.BigNumber(strings.Map(crlfToSpace, string(s)))
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, fok := vt.RawGetString("format").(lua.LString)
		s, sok := vt.RawGetString("string").(lua.LString)
		if fok && sok {
			w.Verbatim([]byte(s), string(f))
			return
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		d := w.Defer()
		n := 0
		m.ForEach(func(k, v lua.LValue) {
			vm.writeValue(w, r, k, depth+1, errMsg, counted)
			vm.writeValue(w, r, v, depth+1, errMsg, counted)
			n++
		})
		w.FillMap(d, n)
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		d := w.Defer()
		n := 0
		s.ForEach(func(k, _ lua.LValue) {
			vm.writeValue(w, r, k, depth+1, errMsg, counted)
			n++
		})
		w.FillSet(d, n)
		return
	}
	d := w.Defer()
	n := 0
	for i := 1; ; i++ {
		v := t.RawGetInt(i)
		if v == lua.LNil {
			break
		}
		vm.writeValue(w, r, v, depth+1, errMsg, counted)
		n++
	}
	w.FillArray(d, n)
}

func crlfToSpace(r rune) rune {
	if r == '\r' || r == '\n' {
		return ' '
	}
	return r
}
