package geo

// partialSort orders the points by cmp far enough that ps[:last+1] are the
// smallest, in order, using the 3-way quicksort of Bentley and McIlroy's
// "Engineering a Sort Function" that skips partitions beyond last. Redis
// sorts a COUNT-limited result so, and the order it leaves equal
// distances in is visible in replies, so the algorithm is reproduced step
// for step.
func partialSort(ps []point, cmp func(a, b *point) int, last int) {
	q := quicksort{ps, cmp, last}
	q.sort(0, len(ps))
}

type quicksort struct {
	ps   []point
	cmp  func(a, b *point) int
	last int
}

func (q *quicksort) c(i, j int) int { return q.cmp(&q.ps[i], &q.ps[j]) }
func (q *quicksort) swap(i, j int)  { q.ps[i], q.ps[j] = q.ps[j], q.ps[i] }

// swapRun swaps the n points from i with the n points from j.
func (q *quicksort) swapRun(i, j, n int) {
	for k := 0; k < n; k++ {
		q.swap(i+k, j+k)
	}
}

// med3 is the index of the median of three points.
func (q *quicksort) med3(a, b, c int) int {
	if q.c(a, b) < 0 {
		switch {
		case q.c(b, c) < 0:
			return b
		case q.c(a, c) < 0:
			return c
		}
		return a
	}
	switch {
	case q.c(b, c) > 0:
		return b
	case q.c(a, c) < 0:
		return a
	}
	return c
}

// pivot picks the pivot of the n points from lo: the middle one, the
// median of three for more than 7, the median of three medians for more
// than 40.
func (q *quicksort) pivot(lo, n int) int {
	m := lo + n/2
	if n > 7 {
		l, r := lo, lo+n-1
		if n > 40 {
			d := n / 8
			l = q.med3(l, l+d, l+2*d)
			m = q.med3(m-d, m, m+d)
			r = q.med3(r-2*d, r-d, r)
		}
		m = q.med3(l, m, r)
	}
	return m
}

// sort sorts the n points from lo.
func (q *quicksort) sort(lo, n int) {
	for {
		if n < 7 {
			q.insertion(lo, n)
			return
		}
		q.swap(lo, q.pivot(lo, n))
		less, greater := q.partition(lo, n)
		if less > 1 && q.last >= lo {
			q.sort(lo, less)
		}
		if greater <= 1 || q.last < lo+n-greater {
			return
		}
		lo, n = lo+n-greater, greater
	}
}

func (q *quicksort) insertion(lo, n int) {
	for m := lo + 1; m < lo+n; m++ {
		for l := m; l > lo && q.c(l-1, l) > 0; l-- {
			q.swap(l, l-1)
		}
	}
}

// partition splits the n points from lo around the pivot at lo: points
// equal to it gather at both ends while scanning, then move to the
// middle. It returns how many points are less and greater than it; they
// end up first and last.
func (q *quicksort) partition(lo, n int) (less, greater int) {
	a, b := lo+1, lo+1
	c, d := lo+n-1, lo+n-1
	for {
		for ; b <= c; b++ {
			r := q.c(b, lo)
			if r > 0 {
				break
			}
			if r == 0 {
				q.swap(a, b)
				a++
			}
		}
		for ; b <= c; c-- {
			r := q.c(c, lo)
			if r < 0 {
				break
			}
			if r == 0 {
				q.swap(c, d)
				d--
			}
		}
		if b > c {
			break
		}
		q.swap(b, c)
		b++
		c--
	}
	end := lo + n
	s := min(a-lo, b-a)
	q.swapRun(lo, b-s, s)
	s = min(d-c, end-d-1)
	q.swapRun(b, end-s, s)
	return b - a, d - c
}
