package cmsgpack

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// The module's metadata, as lua-cmsgpack 0.4.0 sets it.
const (
	name        = "cmsgpack"
	version     = "lua-cmsgpack 0.4.0"
	copyright   = "Copyright (C) 2012, Salvatore Sanfilippo"
	description = "MessagePack C implementation for Lua"
)

// Loader pushes a new cmsgpack module table and returns 1, as a
// lua_CFunction opening a library does. It sets no global: the caller
// decides where the table goes.
func Loader(L *lua.LState) int {
	t := L.CreateTable(0, 8)
	t.RawSetString("pack", L.NewFunction(pack))
	t.RawSetString("unpack", L.NewFunction(unpack))
	t.RawSetString("unpack_one", L.NewFunction(unpackOne))
	t.RawSetString("unpack_limit", L.NewFunction(unpackLimit))
	t.RawSetString("_NAME", lua.LString(name))
	t.RawSetString("_VERSION", lua.LString(version))
	t.RawSetString("_COPYRIGHT", lua.LString(copyright))
	t.RawSetString("_DESCRIPTION", lua.LString(description))
	L.Push(t)
	return 1
}

// unpack is cmsgpack.unpack(s): every value in s. Arguments after s stay
// on the C stack, so they count against its limit.
func unpack(L *lua.LState) int {
	return unpackFull(L, 0, 0, L.GetTop())
}

// unpackOne is cmsgpack.unpack_one(s [, offset]): the offset of what
// follows the first value at offset (-1 at the end), then that value.
// The offset is checked before the string, as in C.
func unpackOne(L *lua.LState) int {
	offset := lua51.OptInteger(L, 2, 0)
	return unpackFull(L, 1, offset, 1)
}

// unpackLimit is cmsgpack.unpack_limit(s, limit [, offset]): as
// unpack_one, for up to limit values. A limit and offset of 0 mean
// unpack(s), next offset left out.
func unpackLimit(L *lua.LState) int {
	limit := lua51.CheckInteger(L, 2)
	offset := lua51.OptInteger(L, 3, 0)
	return unpackFull(L, limit, offset, 1)
}
