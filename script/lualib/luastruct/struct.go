package luastruct

import lua "github.com/yuin/gopher-lua"

// Loader pushes a new struct module table and returns 1, as a
// lua_CFunction opening a library does. It sets no global: the caller
// names it "struct".
func Loader(L *lua.LState) int {
	t := L.CreateTable(0, 3)
	t.RawSetString("pack", L.NewFunction(pack))
	t.RawSetString("unpack", L.NewFunction(unpack))
	t.RawSetString("size", L.NewFunction(size))
	L.Push(t)
	return 1
}
