package cjson

import (
	lua "github.com/yuin/gopher-lua"
)

// cjson.null is a NULL light userdata in Redis. Every NULL light
// userdata is the same value there, so the nulls of two module tables
// (cjson.new()) compare equal. gopher-lua has no light userdata: each
// Lua state gets one userdata, kept in its registry, that all module
// tables of that state share.

// nullKey is the registry field holding the state's null.
const nullKey = "github.com/redoubt-db/redoubt/script/lualib/cjson.null"

// nullTag marks the null userdata.
type nullTag struct{}

// Null returns cjson.null of L's state, the value JSON's null decodes to
// (and that encodes as null).
func Null(L *lua.LState) lua.LValue {
	reg := L.G.Registry
	if v, ok := reg.RawGetString(nullKey).(*lua.LUserData); ok {
		return v
	}
	// tostring(cjson.null) is "userdata: (nil)" in Redis (glibc's %p of
	// NULL); a __tostring gives the same. __metatable = false hides the
	// metatable: getmetatable answers false where Redis answers nil.
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString("userdata: (nil)"))
		return 1
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	ud := L.NewUserData()
	ud.Value, ud.Metatable = nullTag{}, mt
	reg.RawSetString(nullKey, ud)
	return ud
}

// IsNull reports whether v is cjson.null (of any state).
func IsNull(v lua.LValue) bool {
	ud, ok := v.(*lua.LUserData)
	if !ok {
		return false
	}
	_, ok = ud.Value.(nullTag)
	return ok
}
