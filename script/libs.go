package script

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/bit"
	"github.com/redoubt-db/redoubt/script/lualib/cjson"
	"github.com/redoubt-db/redoubt/script/lualib/cmsgpack"
	"github.com/redoubt-db/redoubt/script/lualib/luastruct"
)

// libraries are the C libraries Redis's Lua carries, as globals.
var libraries = []struct {
	name   string
	loader lua.LGFunction
}{
	{"cjson", cjson.Loader},
	{"struct", luastruct.Loader},
	{"cmsgpack", cmsgpack.Loader},
	{"bit", bit.Loader},
}
