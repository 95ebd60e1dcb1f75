package replication

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// redis-cli --functions-rdb asks a primary for a snapshot that holds the
// function libraries and no keys (REPLCONF rdb-filter-only functions),
// and --rdb for the whole dataset. Both primaries send what was asked,
// and either server loads each file.
func TestRDBFilterOnly(t *testing.T) {
	cli := refredis.Tool(t, "redis-cli")
	for _, primaryKind := range []string{redisKind, redoubtKind} {
		t.Run(primaryKind, func(t *testing.T) {
			c := newCluster(t)
			p := c.start("primary", primaryKind)
			p.do("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
			for _, k := range []string{"a", "b", "c"} {
				p.do("SET", k, "v")
			}
			for _, tc := range []struct {
				flag string
				keys int64
			}{{"--functions-rdb", 0}, {"--rdb", 3}} {
				dir := t.TempDir()
				file := filepath.Join(dir, "dump.rdb")
				out, err := exec.Command(cli, "-p", strconv.Itoa(p.port), tc.flag, file).CombinedOutput()
				if err != nil || !strings.Contains(string(out), "Transfer finished with success") {
					c.fatalf("redis-cli %s: %v\n%s", tc.flag, err, out)
				}
				for _, loaderKind := range []string{redisKind, redoubtKind} {
					l := c.startOn(dir, "loader", loaderKind)
					if n := l.do("DBSIZE").Int; n != tc.keys {
						c.errorf("%s loading %s's %s file: DBSIZE %d, want %d", loaderKind, primaryKind, tc.flag, n, tc.keys)
					}
					if list := l.do("FUNCTION", "LIST"); len(list.Elems) != 1 {
						c.errorf("%s loading %s's %s file: %d libraries, want 1", loaderKind, primaryKind, tc.flag, len(list.Elems))
					}
					l.shutdown("NOSAVE")
				}
			}
		})
	}
}
