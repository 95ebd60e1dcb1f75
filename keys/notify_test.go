package keys_test

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// TestNotifications runs scenarios in the in-process harness and on the
// real Redis, subscribed to its keyevent channels, and compares the
// replies and the events the commands fire, in order. (The network server
// does not deliver notifications yet.) Scenarios leave at most one key
// for KEYS and SCAN, so that the order of keys cannot differ.
func TestNotifications(t *testing.T) {
	addr := difftest.StartRedis(t, "notify-keyspace-events AEn")
	sub := difftest.Dial(t, addr)
	sub.Do("psubscribe", "__keyevent@*__:*")
	rc := difftest.Dial(t, addr)
	rc.Do("debug", "set-active-expire", "0")
	// The marker key ends each batch of events; it lives in a database
	// the scenarios do not use.
	mc := difftest.Dial(t, addr)
	mc.Do("select", "15")

	// events reads the published events up to the marker key's.
	events := func() []string {
		mc.Do("set", "marker", "x")
		var out []string
		for {
			v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(sub.ReadRaw())))
			if err != nil {
				t.Fatal(err)
			}
			ch, key := v.Elems[2].Str, v.Elems[3].Str
			if key == "marker" {
				if strings.HasSuffix(ch, ":set") {
					return out
				}
				continue
			}
			db, event, _ := strings.Cut(strings.TrimPrefix(ch, "__keyevent@"), "__:")
			out = append(out, db+" "+event+" "+key)
		}
	}

	for _, sc := range []struct {
		name  string
		setup string
		// expired: after the setup, wait for the 30ms deadlines to pass.
		expired bool
		cmds    string
	}{
		{"del", "set a 1\nset b 2", false, "del a b c\nunlink b\nset d 1\nunlink d"},
		{"rename", "set a 1\nset b 2\npexpireat a 4102444800000", false, "rename a b\nrenamenx b a\nrenamenx a b\nrename a a\nrename a c"},
		{"rename same", "set a 1", false, "rename a a\nrenamenx a a"},
		{"move", "set a 1\nset b 1\nselect 1\nset b 2\nselect 0", false, "move a 1\nmove b 1\nmove nokey 1"},
		{"copy", "set a 1\nset c 1", false, "copy a b db 2 replace\ncopy a c\ncopy a c replace\ncopy nokey x"},
		{"expire", "set a 1\nset b 1", false, "expire a 100\nexpire a 100 nx\npexpire a -1\nexpire nokey 1\nexpireat b 1"},
		{"persist", "set a 1\nexpire a 100\nset b 1", false, "persist a\npersist a\npersist b"},
		{"expired lookups", "set e 1\npexpire e 30\nset f 1\npexpire f 30\nset g 1\npexpire g 30\nset live 1", true,
			"exists e\ntype f\ndel g\nexists e f g live"},
		{"expired rename", "set a 1\nset b 1\npexpire b 30\nset c 1\npexpire c 30", true, "rename a b\nrename c d\ncopy b c"},
		{"expired scan", "set e 1\npexpire e 30\nset live 1", true, "keys *\nscan 0"},
		{"expired scan type", "set e 1\npexpire e 30", true, "scan 0 type none"},
		{"expired randomkey", "set e 1\npexpire e 30", true, "randomkey"},
		{"expired ttl", "set e 1\npexpire e 30\nset f 1\npexpire f 30\nset g 1\npexpire g 30", true, "ttl e\npersist f\nexpire g 100"},
	} {
		t.Run(strings.ReplaceAll(sc.name, " ", "_"), func(t *testing.T) {
			h := newHarness(t)
			for _, db := range []string{"2", "1", "0"} {
				rc.Do("select", db)
				rc.Do("flushdb")
			}
			for _, line := range strings.Split(sc.setup, "\n") {
				args := strings.Fields(line)
				rc.Do(args...)
				h.Do(args...)
			}
			events()
			if sc.expired {
				pastDeadlines()
			}
			h.Events = nil
			for _, line := range strings.Split(sc.cmds, "\n") {
				args := strings.Fields(line)
				want := rc.Do(args...)
				got := h.Do(args...)
				if !bytes.Equal(got, want) {
					t.Errorf("%s\n redis:   %q\n redoubt: %q", line, want, got)
				}
			}
			want := events()
			if strings.Join(want, "\n") != strings.Join(h.Events, "\n") {
				t.Errorf("events\n redis:   %q\n redoubt: %q", want, h.Events)
			}
		})
	}
}
