package keyspace

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// The keyspace keeps keys and values off the Go heap so that the garbage
// collector's work does not grow with the dataset. These benchmarks
// measure that claim: the time of one full GC cycle with N keys loaded,
// for the keyspace and for the obvious alternative, a Go map of strings
// to byte slices. Run with
//
//	go test -run XXX -bench GCCycle -benchtime 5x ./keyspace/
//
// and compare ns/op across the two at each size (docs/ARCHITECTURE.md
// records the figures).

var gcSizes = []int{100_000, 1_000_000, 5_000_000}

func BenchmarkGCCycleKeyspace(b *testing.B) {
	for _, n := range gcSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			ks := New(1)
			db := ks.DBs[0]
			val := []byte("0123456789abcdef")
			var key []byte
			for i := 0; i < n; i++ {
				key = strconv.AppendInt(append(key[:0], "key:"...), int64(i), 10)
				db.SetString(key, val, false)
			}
			gcCycle(b)
			runtime.KeepAlive(ks)
		})
	}
}

func BenchmarkGCCycleGoMap(b *testing.B) {
	for _, n := range gcSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			m := make(map[string][]byte, n)
			for i := 0; i < n; i++ {
				m["key:"+strconv.Itoa(i)] = []byte("0123456789abcdef")
			}
			gcCycle(b)
			runtime.KeepAlive(m)
		})
	}
}

// gcCycle times forced collections and reports the heap the GC has to
// look at.
func gcCycle(b *testing.B) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/gc")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "go-heap-MiB")
}
