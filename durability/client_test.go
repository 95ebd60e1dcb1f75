package durability

import (
	"bufio"
	"net"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// rawClient is a minimal RESP client that returns errors instead of
// failing the test: the writers of a crash test run in goroutines and
// expect their connection to die.
type rawClient struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte
}

func dialRaw(addr string) (*rawClient, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawClient{c: c, r: bufio.NewReader(c)}, nil
}

// do sends one command and reads its reply; an error reply is returned
// as a value, not an error.
func (c *rawClient) do(args ...string) (protocol.Value, error) {
	c.buf = protocol.AppendCommand(c.buf[:0], args...)
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.c.Write(c.buf); err != nil {
		return protocol.Value{}, err
	}
	return protocol.ReadValue(c.r)
}

// pipeline sends the commands in one write and reads every reply.
func (c *rawClient) pipeline(cmds [][]string) ([]protocol.Value, error) {
	c.buf = c.buf[:0]
	for _, a := range cmds {
		c.buf = protocol.AppendCommand(c.buf, a...)
	}
	c.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.c.Write(c.buf); err != nil {
		return nil, err
	}
	out := make([]protocol.Value, len(cmds))
	for i := range out {
		v, err := protocol.ReadValue(c.r)
		if err != nil {
			return out[:i], err
		}
		out[i] = v
	}
	return out, nil
}

func (c *rawClient) close() { c.c.Close() }
