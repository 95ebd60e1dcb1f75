package command

// Command names and keywords that handlers propagate in place of what
// they were called with, spelled as Redis spells them in its shared
// objects (upper case), so that the AOF and replicas get the same bytes.
var (
	WordDel       = []byte("DEL")
	WordUnlink    = []byte("UNLINK")
	WordSet       = []byte("SET")
	WordPXAT      = []byte("PXAT")
	WordPExpireAt = []byte("PEXPIREAT")
	WordPersist   = []byte("PERSIST")
	WordKeepTTL   = []byte("KEEPTTL")
)

// DelWord is the deletion command a delete is propagated as: UNLINK when
// the lazyfree option that governs it (lazyfree-lazy-expire,
// lazyfree-lazy-user-del, ...) is on, DEL otherwise.
func DelWord(lazy bool) []byte {
	if lazy {
		return WordUnlink
	}
	return WordDel
}
