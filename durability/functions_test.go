package durability

import "testing"

const testLibrary = "#!lua name=persisted\nredis.register_function('greet', function(keys, args) return 'hello ' .. args[1] end)"

// Function libraries survive restarts as Redis's do: in RDB files
// (FUNCTION2 records, which redis-server loads too, and whose own files
// Redoubt loads), in the AOF as FUNCTION LOAD, and in an AOF rewrite
// with and without the RDB preamble.
func TestFunctionsPersist(t *testing.T) {
	t.Run("rdb", func(t *testing.T) {
		dir := t.TempDir()
		srv := startServer(t, redoubtKind, dir)
		srv.conn().Do("FUNCTION", "LOAD", testLibrary)
		srv.conn().Do("SAVE")
		srv.stop()
		for _, kind := range []string{redisKind, redoubtKind} {
			srv = startServer(t, kind, dir)
			if got := string(srv.conn().Do("FCALL", "greet", "0", "x")); got != "$7\r\nhello x\r\n" {
				t.Errorf("%s after loading Redoubt's RDB: FCALL %q", kind, got)
			}
			srv.stop()
		}
	})
	for _, preamble := range []string{"yes", "no"} {
		t.Run("aof-preamble-"+preamble, func(t *testing.T) {
			dir := t.TempDir()
			settings := []string{"appendonly yes", "aof-use-rdb-preamble " + preamble}
			srv := startServer(t, redoubtKind, dir, settings...)
			c := srv.conn()
			c.Do("FUNCTION", "LOAD", testLibrary)
			srv.kill()
			srv = startServer(t, redoubtKind, dir, settings...)
			c = srv.conn()
			if got := string(c.Do("FCALL", "greet", "0", "y")); got != "$7\r\nhello y\r\n" {
				t.Errorf("after replaying the AOF: FCALL %q", got)
			}
			c.Do("BGREWRITEAOF")
			srv.waitRewriteDone()
			srv.kill()
			for _, kind := range []string{redisKind, redoubtKind} {
				srv = startServer(t, kind, dir, settings...)
				if got := string(srv.conn().Do("FCALL", "greet", "0", "z")); got != "$7\r\nhello z\r\n" {
					t.Errorf("%s after the rewrite: FCALL %q", kind, got)
				}
				srv.stop()
			}
		})
	}
}
