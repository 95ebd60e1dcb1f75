package luastruct

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// size is struct.size(fmt): the bytes a pack with fmt makes, padding
// included. Unknown letters and digits count for nothing, as in C, where
// only other characters go through the control options.
func size(L *lua.LState) int {
	f := newFormat(lua51.CheckLString(L, 1))
	var pos uint64
	for f.more() {
		opt := f.opt()
		sz := f.size(L, opt)
		pos += f.padding(pos, opt, sz)
		if opt == 's' {
			lua51.ArgError(L, 1, "option 's' has no fixed size")
		} else if opt == 'c' && sz == 0 {
			lua51.ArgError(L, 1, "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.control(L, opt)
		}
		pos += sz
	}
	L.Push(lua.LNumber(int64(pos)))
	return 1
}
