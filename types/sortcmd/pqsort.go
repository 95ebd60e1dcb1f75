package sortcmd

// partialSort puts into positions lo..hi of a the items a full sort would
// put there, leaving the rest partly sorted. It is Bentley and McIlroy's
// quicksort with three-way partitioning ("Engineering a Sort Function",
// 1993), which skips the parts outside the window; Redis sorts with it
// when BY and LIMIT are given, so it must make the same moves for ALPHA
// BY ties to come out in Redis's order.
func partialSort(a []item, cmp func(x, y item) int, lo, hi int) {
	qsortWindow(a, cmp, 0, len(a), lo, hi+1)
}

// qsortWindow sorts the n items from base as far as the window [wlo, whi)
// needs.
func qsortWindow(a []item, cmp func(x, y item) int, base, n, wlo, whi int) {
	for {
		s := a[base : base+n]
		if n < 7 {
			insertionSort(s, cmp)
			return
		}
		p := pivot(s, cmp)
		s[0], s[p] = s[p], s[0]
		lt, gt := partition(s, cmp)
		if lt > 1 && inWindow(base, lt, wlo, whi) {
			qsortWindow(a, cmp, base, lt, wlo, whi)
		}
		if gt <= 1 {
			return
		}
		base, n = base+n-gt, gt
		if !inWindow(base, n, wlo, whi) {
			return
		}
	}
}

// inWindow reports whether the n items from base reach into the window.
func inWindow(base, n, wlo, whi int) bool {
	return !(wlo < base && whi <= base || wlo >= base+n && whi > base+n)
}

// insertionSort is the sort of small slices.
func insertionSort(s []item, cmp func(x, y item) int) {
	for m := 1; m < len(s); m++ {
		for l := m; l > 0 && cmp(s[l-1], s[l]) > 0; l-- {
			s[l], s[l-1] = s[l-1], s[l]
		}
	}
}

// pivot picks the index of the partitioning item: the middle one, the
// median of the first, middle and last, or beyond 40 items the median of
// three such medians.
func pivot(s []item, cmp func(x, y item) int) int {
	n := len(s)
	m := n / 2
	if n == 7 {
		return m
	}
	l, h := 0, n-1
	if n > 40 {
		d := n / 8
		l = median3(s, cmp, l, l+d, l+2*d)
		m = median3(s, cmp, m-d, m, m+d)
		h = median3(s, cmp, h-2*d, h-d, h)
	}
	return median3(s, cmp, l, m, h)
}

func median3(s []item, cmp func(x, y item) int, i, j, k int) int {
	if cmp(s[i], s[j]) < 0 {
		switch {
		case cmp(s[j], s[k]) < 0:
			return j
		case cmp(s[i], s[k]) < 0:
			return k
		}
		return i
	}
	switch {
	case cmp(s[j], s[k]) > 0:
		return j
	case cmp(s[i], s[k]) < 0:
		return i
	}
	return k
}

// partition splits s around the pivot s[0] into items less than, equal
// to and greater than it, in that order, and returns the counts of the
// lesser and the greater. Equal items gather at both ends while
// scanning and are swapped to the middle at the end.
func partition(s []item, cmp func(x, y item) int) (lt, gt int) {
	n := len(s)
	pa, pb, pc, pd := 1, 1, n-1, n-1
	for {
		for ; pb <= pc; pb++ {
			r := cmp(s[pb], s[0])
			if r > 0 {
				break
			}
			if r == 0 {
				s[pa], s[pb] = s[pb], s[pa]
				pa++
			}
		}
		for ; pb <= pc; pc-- {
			r := cmp(s[pc], s[0])
			if r < 0 {
				break
			}
			if r == 0 {
				s[pc], s[pd] = s[pd], s[pc]
				pd--
			}
		}
		if pb > pc {
			break
		}
		s[pb], s[pc] = s[pc], s[pb]
		pb++
		pc--
	}
	swapBlocks(s, 0, pb-min(pa, pb-pa), min(pa, pb-pa))
	swapBlocks(s, pb, n-min(pd-pc, n-1-pd), min(pd-pc, n-1-pd))
	return pb - pa, pd - pc
}

// swapBlocks exchanges the k items from i with the k items from j.
func swapBlocks(s []item, i, j, k int) {
	for ; k > 0; k-- {
		s[i], s[j] = s[j], s[i]
		i++
		j++
	}
}
