package list

import (
	"fmt"
	"strconv"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/listpack"
)

// TestList exposes a detached quicklist to the external tests, which
// compare it with Redis's.
type TestList struct{ q ql }

func NewTestList(fill int64) *TestList {
	a := arena.New()
	return &TestList{ql{a: a, ref: newTable(a, fill)}}
}

func (l *TestList) Push(v string, head bool) { l.q.push([]byte(v), head) }
func (l *TestList) Pop(head bool)            { l.q.del(l.q.end(head), true) }
func (l *TestList) Replace(i int, v string)  { l.q.replace(l.q.seek(int64(i)), []byte(v)) }
func (l *TestList) DelRange(start, n int)    { l.q.delRange(int64(start), int64(n)) }
func (l *TestList) Insert(i int, after bool, v string) {
	l.q.insert(l.q.seek(int64(i)), after, []byte(v))
}

// Rem removes every element equal to v, walking from the head or the tail.
func (l *TestList) Rem(v string, forward bool) {
	q := &l.q
	for p, more := q.end(forward), true; more; {
		switch {
		case q.equal(p, []byte(v)):
			p, more = q.del(p, forward)
		case forward:
			p, more = q.next(p)
		default:
			p, more = q.prev(p)
		}
	}
}

// Check returns the elements, walked from the head, and the node layout,
// after checking that the counts agree.
func (l *TestList) Check() (elems []string, nodes, bytes int, err error) {
	q := &l.q
	total := 0
	for k := range q.nodes() {
		c := q.count(k)
		if c == 0 || !q.isPlain(k) && listpack.Len(q.blob(k)) != c || q.isPlain(k) && c != 1 {
			return nil, 0, 0, fmt.Errorf("node %d counts %d", k, c)
		}
		total += c
		bytes += len(q.blob(k))
	}
	if q.nodes() > 0 {
		for p, more := q.first(0), true; more; p, more = q.next(p) {
			s, n, isInt := q.get(p)
			if isInt {
				s = strconv.AppendInt(nil, n, 10)
			}
			elems = append(elems, string(s))
		}
	}
	if int64(total) != q.Len() || len(elems) != total {
		return nil, 0, 0, fmt.Errorf("%d counted, %d walked, length %d", total, len(elems), q.Len())
	}
	return elems, q.nodes(), bytes, nil
}
