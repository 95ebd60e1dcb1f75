package acl

import "strings"

// Category is a set of ACL command categories, one bit each.
type Category uint32

// The categories, in the order ACL CAT lists them and COMMAND INFO shows
// them: the order is part of Redis's output, so it is fixed here rather
// than derived from the command table.
const (
	CatKeyspace Category = 1 << iota
	CatRead
	CatWrite
	CatSet
	CatSortedSet
	CatList
	CatHash
	CatString
	CatBitmap
	CatHyperLogLog
	CatGeo
	CatStream
	CatPubSub
	CatAdmin
	CatFast
	CatSlow
	CatBlocking
	CatDangerous
	CatConnection
	CatTransaction
	CatScripting
)

// categoryNames are the names of the categories, bit i named at index i.
var categoryNames = [...]string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

const numCategories = len(categoryNames)

// Categories returns the category names as ACL CAT lists them.
func Categories() []string {
	return append([]string(nil), categoryNames[:]...)
}

// ParseCategory finds a category by name, in any case (Redis compares
// with strcasecmp). It returns 0 for an unknown name.
func ParseCategory(name string) Category {
	name = cString(name)
	for i, n := range categoryNames {
		if equalFold(n, name) {
			return 1 << i
		}
	}
	return 0
}

// Names lists the categories of c, in ACL CAT order.
func (c Category) Names() []string {
	var out []string
	for i, n := range categoryNames {
		if c&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// categoryFromSpec maps COMMAND INFO's "@name" strings to a Category. An
// unknown name is a broken command table, so it is reported to the
// caller, which panics.
func categoryFromSpec(names []string) (Category, string) {
	var c Category
	for _, n := range names {
		cat := ParseCategory(strings.TrimPrefix(n, "@"))
		if cat == 0 || !strings.HasPrefix(n, "@") {
			return 0, n
		}
		c |= cat
	}
	return c, ""
}
