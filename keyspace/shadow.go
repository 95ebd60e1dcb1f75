package keyspace

// Shadow returns a database outside the numbered ones that shares the
// keyspace's memory, so that values copy in and out of it with CopyTo.
// Its changes tell nobody (no listeners, no ready keys): it is a place
// to keep copies of values, such as a script's undo log. Nothing expires
// in it, since only Find, CopyTo and Delete are meant for it.
func (ks *Keyspace) Shadow() *DB {
	db := ks.newDB(-1)
	db.shadow = true
	return db
}
