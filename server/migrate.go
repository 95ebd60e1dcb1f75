package server

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/protocol"
)

// MIGRATE (Redis's cluster.c): keys move to another server as RESTORE
// commands carrying DUMP payloads, over a connection kept for the next
// MIGRATE to the same address. Like Redis, the command does its network
// I/O in the foreground, bounded by its timeout, and deletes each local
// key the target acknowledged (unless COPY).

const (
	migrateCacheSize = 64               // connections kept at most
	migrateCacheTTL  = 10 * time.Second // idle connections close after
)

type migrateConn struct {
	conn    net.Conn
	r       *bufio.Reader
	lastDB  int64 // the database selected on the target, -1 if unknown
	lastUse time.Time
}

// migrateConnTo returns the cached connection to addr, or dials one.
func (s *Server) migrateConnTo(addr string, timeout time.Duration) (*migrateConn, error) {
	if mc := s.migrateConns[addr]; mc != nil {
		mc.lastUse = time.Now()
		return mc, nil
	}
	if len(s.migrateConns) >= migrateCacheSize {
		for a := range s.migrateConns { // map order: a random victim
			s.closeMigrateConn(a)
			break
		}
	}
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err == nil {
		conn, err = s.dialTLS(conn, s.cfg.TLSCluster, timeout)
	}
	if err != nil {
		return nil, err
	}
	mc := &migrateConn{conn: conn, r: bufio.NewReader(conn), lastDB: -1, lastUse: time.Now()}
	if s.migrateConns == nil {
		s.migrateConns = map[string]*migrateConn{}
	}
	s.migrateConns[addr] = mc
	return mc, nil
}

func (s *Server) closeMigrateConn(addr string) {
	if mc := s.migrateConns[addr]; mc != nil {
		mc.conn.Close()
		delete(s.migrateConns, addr)
	}
}

// closeIdleMigrateConns is the cron's part: connections unused for
// migrateCacheTTL close. The caller holds the engine lock.
func (s *Server) closeIdleMigrateConns(now time.Time) {
	for addr, mc := range s.migrateConns {
		if now.Sub(mc.lastUse) > migrateCacheTTL {
			s.closeMigrateConn(addr)
		}
	}
}

// migrateCmd is MIGRATE host port key|"" db timeout [COPY] [REPLACE]
// [AUTH password | AUTH2 user password] [KEYS key ...].
func migrateCmd(s *Server, c *client, ctx *command.Ctx) {
	var copyKeys, replace bool
	var auth [][]byte
	keyArgs := ctx.Args[3:4]
	for j := 6; j < len(ctx.Args); j++ {
		more := len(ctx.Args) - 1 - j
		switch {
		case ctx.IsOpt(j, "copy"):
			copyKeys = true
		case ctx.IsOpt(j, "replace"):
			replace = true
		case ctx.IsOpt(j, "auth") && more >= 1:
			auth = ctx.Args[j+1 : j+2]
			ctx.Redact(j + 1)
			j++
		case ctx.IsOpt(j, "auth2") && more >= 2:
			auth = ctx.Args[j+1 : j+3]
			ctx.Redact(j + 1)
			ctx.Redact(j + 2)
			j += 2
		case ctx.IsOpt(j, "keys"):
			if len(ctx.Args[3]) != 0 {
				ctx.Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			keyArgs = ctx.Args[j+1:]
			j = len(ctx.Args)
		default:
			ctx.Err(command.ErrSyntax)
			return
		}
	}
	timeoutMs, ok := ctx.Int(5)
	if !ok {
		return
	}
	dbid, ok := ctx.Int(4)
	if !ok {
		return
	}
	if timeoutMs <= 0 {
		timeoutMs = 1000
	}
	timeout := time.Duration(timeoutMs) * time.Millisecond
	var present [][]byte
	for _, k := range keyArgs {
		if c.db.LookupRead(k) != dict.None {
			present = append(present, k)
		}
	}
	if len(present) == 0 {
		ctx.W.Simple("NOKEY")
		return
	}
	addr := net.JoinHostPort(string(ctx.Args[1]), string(ctx.Args[2]))
	// A cached connection the target has closed fails at once: retry
	// once on a new one, as Redis does, if nothing was acknowledged.
	for attempt := 0; ; attempt++ {
		retry, err := s.migrateOnce(c, ctx, addr, timeout, dbid, present, auth, copyKeys, replace)
		if err == nil {
			return
		}
		s.closeMigrateConn(addr)
		if !retry || attempt > 0 {
			ctx.Err(err.Error())
			return
		}
	}
}

var (
	errMigrateConnect = errors.New("IOERR error or timeout connecting to the client")
	errMigrateWrite   = errors.New("IOERR error or timeout writing to target instance")
)

// migrateOnce sends the keys and reads the replies. An error it returns
// is a socket error; retry says whether nothing was done yet.
func (s *Server) migrateOnce(c *client, ctx *command.Ctx, addr string, timeout time.Duration, dbid int64,
	keyNames [][]byte, auth [][]byte, copyKeys, replace bool) (retry bool, err error) {
	mc, err := s.migrateConnTo(addr, timeout)
	if errors.Is(err, syscall.ECONNREFUSED) {
		// Redis's non-blocking connect reports a refusal as its first
		// write failing.
		return true, errMigrateWrite
	}
	if err != nil {
		return false, errMigrateConnect
	}
	var out []byte
	if auth != nil {
		out = protocol.AppendCommandBytes(out, append([][]byte{[]byte("AUTH")}, auth...)...)
	}
	selecting := mc.lastDB != dbid
	if selecting {
		out = protocol.AppendCommand(out, "SELECT", strconv.FormatInt(dbid, 10))
	}
	now := time.Now().UnixMilli()
	var sent [][]byte
	for _, k := range keyNames {
		id := c.db.LookupRead(k)
		if id == dict.None {
			continue
		}
		ttl := int64(0)
		if at := c.db.Expire(id); at >= 0 {
			if ttl = at - now; ttl < 0 {
				continue
			}
			ttl = max(ttl, 1)
		}
		args := [][]byte{[]byte("RESTORE"), k, strconv.AppendInt(nil, ttl, 10), keys.DumpPayload(c.db, id, ctx.Cfg)}
		if replace {
			args = append(args, []byte("REPLACE"))
		}
		out = protocol.AppendCommandBytes(out, args...)
		sent = append(sent, k)
	}
	mc.conn.SetDeadline(time.Now().Add(timeout))
	if _, err := mc.conn.Write(out); err != nil {
		return true, errMigrateWrite
	}
	readErr := errors.New("IOERR error or timeout reading to target instance")
	var authReply, selectReply []byte
	if auth != nil {
		if authReply, err = readLine(mc.r); err != nil {
			return true, readErr
		}
	}
	if selecting {
		if selectReply, err = readLine(mc.r); err != nil {
			return true, readErr
		}
	}
	var targetErr []byte
	deleted := [][]byte{command.WordDel}
	for i, k := range sent {
		reply, err := readLine(mc.r)
		if err != nil {
			if targetErr != nil {
				break
			}
			return i == 0 && !errors.Is(err, os.ErrDeadlineExceeded), readErr
		}
		switch e := firstError(authReply, selectReply, reply); {
		case e != nil:
			if targetErr == nil {
				mc.lastDB = -1
				targetErr = e
			}
		case !copyKeys:
			if id := c.db.LookupWrite(k); id != dict.None {
				c.db.Delete(id)
				ctx.Changed(k, command.EvGeneric, "del")
				deleted = append(deleted, k)
			}
		}
	}
	// What moved travels as its deletion.
	if len(deleted) > 1 {
		ctx.Rewrite(deleted...)
	}
	if targetErr != nil {
		ctx.Err("ERR Target instance replied with error: " + string(targetErr[1:]))
		return false, nil
	}
	mc.lastDB = dbid
	ctx.W.OK()
	return false, nil
}

// firstError returns the first of the replies that is an error.
func firstError(replies ...[]byte) []byte {
	for _, r := range replies {
		if len(r) > 0 && r[0] == '-' {
			return r
		}
	}
	return nil
}

// readLine reads one reply line without its CRLF.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 {
		return nil, errors.New("empty reply")
	}
	return bytes.Clone(line), nil
}
