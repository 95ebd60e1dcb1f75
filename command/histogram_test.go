package command

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// A percentile is the highest latency of the fine bucket holding it: at
// or above the true percentile, and within one sixteenth of a power of
// two of it (INFO latencystats; Redis's HdrHistogram keeps two
// significant digits).
func TestHistogramPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, scale := range []int64{10, 1000, 50000, 5_000_000} {
		var h Histogram
		var us []int64
		for range 10001 {
			v := rng.Int64N(scale) + 1
			us = append(us, v)
			h.Record(time.Duration(v) * time.Microsecond)
		}
		slices.Sort(us)
		for _, p := range []float64{50, 99, 99.9} {
			want := us[int(p/100*float64(len(us))+0.5)-1]
			got := int64(h.Percentile(p))
			if got < want || float64(got) > float64(want)*1.0625+1 {
				t.Errorf("scale %d: p%v is %d, the latencies' is %d", scale, p, got, want)
			}
		}
	}
	var h Histogram
	h.Record(50 * time.Millisecond)
	if p := h.Percentile(50); p < 50000 || p > 53125 {
		t.Errorf("one 50 ms call: p50 %v", p)
	}
}
