package keys_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/keys"
)

func TestParseCursor(t *testing.T) {
	// Checked against Redis 7.0's strtoul-based parser; the differential
	// TestScanArgs sends the same strings to both servers.
	max := ^uint64(0)
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"", 0, true},
		{"\x00", 0, true},
		{"12\x00junk", 12, true},
		{"+7", 7, true},
		{"-0", 0, true},
		{"-1", max, true},
		{"-18446744073709551615", 1, true},
		{"18446744073709551615", max, true},
		{"18446744073709551616", 0, false},
		{"-18446744073709551616", 0, false},
		{"99999999999999999999999", 0, false},
		{" 1", 0, false},
		{"\t1", 0, false},
		{"1 ", 0, false},
		{"+", 0, false},
		{"-", 0, false},
		{"+\x001", 0, false},
		{"0x10", 0, false},
		{"1.5", 0, false},
		{"x", 0, false},
		{"007", 7, true},
	} {
		got, ok := keys.ParseCursor([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseCursor(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestScanGuarantee checks SCAN's promise: a key present from the first
// call of a scan to the last is returned at least once, while other keys
// come and go between calls and the table grows, shrinks and rehashes
// under the cursor.
func TestScanGuarantee(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	c := difftest.Dial(t, difftest.StartRedoubt(t))

	const stable = 300
	pipeline(t, c, stable, func(i int) []string { return []string{"set", "s:" + strconv.Itoa(i), "v"} })

	next, live := 0, []int{} // churn keys c:<n>
	// Watch the table between calls, to check that the scans did run
	// across resizes both ways (a rehash in progress counts).
	grew, shrank := false, false
	size, _ := tableSizes(t, c)
	observe := func() {
		n, target := tableSizes(t, c)
		grew = grew || n > size || target > n
		shrank = shrank || n < size || (target > 0 && target < n)
		size = n
	}

	for _, count := range []string{"1", "3", "10", "100", "1000"} {
		seen := map[string]bool{}
		cursor, calls := "0", 0
		for {
			v := c.DoValue("scan", cursor, "count", count)
			for _, k := range v.Elems[1].Elems {
				seen[k.Str] = true
			}
			cursor = v.Elems[0].Str
			if cursor == "0" {
				break
			}
			calls++
			// Grow the table for a while (to thousands of keys), then
			// empty it of churn keys so that it shrinks (below a tenth of
			// its size), then start again.
			switch phase := calls % 40; {
			case phase < 25:
				n := 100 + rng.IntN(200)
				pipeline(t, c, n, func(int) []string {
					next++
					live = append(live, next)
					return []string{"set", "c:" + strconv.Itoa(next), "v"}
				})
			case len(live) > 0:
				n := min(len(live), 500+rng.IntN(500))
				rng.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
				gone := live[:n]
				args := []string{"del"}
				for _, k := range gone {
					args = append(args, "c:"+strconv.Itoa(k))
				}
				c.Do(args...)
				live = append([]int(nil), live[n:]...)
			}
			observe()
		}
		for i := 0; i < stable; i++ {
			if k := "s:" + strconv.Itoa(i); !seen[k] {
				t.Errorf("COUNT %s: %s was never returned (%d calls)", count, k, calls)
			}
		}
	}
	if !grew || !shrank {
		t.Errorf("the table did not both grow (%v) and shrink (%v) during the scans", grew, shrank)
	}
}

// tableSizes returns the size of database 0's main hash table and, while
// it is being rehashed, of the table it is moving to (else 0).
func tableSizes(t *testing.T, c *difftest.Conn) (main, target int) {
	t.Helper()
	s := c.DoValue("debug", "htstats", "0").Str
	var sizes []int
	for {
		_, after, ok := strings.Cut(s, "table size: ")
		if !ok {
			break
		}
		n, _ := strconv.Atoi(after[:strings.IndexByte(after, '\n')])
		sizes = append(sizes, n)
		s = after
	}
	if len(sizes) == 0 {
		t.Fatalf("no table size in DEBUG HTSTATS")
	}
	if len(sizes) > 1 {
		target = sizes[1]
	}
	return sizes[0], target
}

// pipeline sends n commands before reading their replies.
func pipeline(t *testing.T, c *difftest.Conn, n int, cmd func(i int) []string) {
	t.Helper()
	for i := 0; i < n; i++ {
		c.Send(cmd(i)...)
	}
	for i := 0; i < n; i++ {
		if r := c.ReadRaw(); r[0] == '-' {
			t.Fatalf("error reply %q", r)
		}
	}
}
