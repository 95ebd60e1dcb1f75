package script

import lua "github.com/yuin/gopher-lua"

// libraries are the C libraries Redis's Lua carries, as globals.
var libraries = []struct {
	name   string
	loader lua.LGFunction
}{}
