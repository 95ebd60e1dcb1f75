package bit

import (
	"testing"

	"github.com/redoubt-db/redoubt/script/lualib/internal/luadiff"
)

// The differential tests run each Lua snippet, which returns a string,
// with EVAL on the reference redis-server 7.0 and in a fresh gopher-lua
// state with this package loaded as the global bit, and compare the two
// strings byte for byte. The chunk is named "user_script" on both sides,
// as Redis names EVAL's, so error messages, position prefixes
// ("user_script:3: ") included, compare as they are. Snippets keep to
// Lua that gopher-lua and Lua 5.1 run alike: results are integers, which
// tostring prints alike in both.

var lib = luadiff.Lib{Global: "bit", Loader: Loader}

func newDiffer(t *testing.T) *luadiff.Differ { return lib.NewDiffer(t) }
