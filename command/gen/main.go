// Command gen captures the command table of a reference Redis: it starts
// redis-server on a free loopback port, reads COMMAND and COMMAND DOCS over
// RESP3, and writes them as spec.json for package command.
//
//	go run ./command/gen -o command/spec.json
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/protocol"
)

func main() {
	out := flag.String("o", "spec.json", "output file")
	server := flag.String("server", "redis-server", "reference server binary")
	flag.Parse()

	port := freePort()
	srv := exec.Command(*server, "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no")
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Process.Kill()

	var conn net.Conn
	var err error
	for i := 0; i < 50; i++ {
		if conn, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		log.Fatal(err)
	}
	r := bufio.NewReader(conn)
	call := func(args ...string) protocol.Value {
		if _, err := conn.Write(protocol.AppendCommand(nil, args...)); err != nil {
			log.Fatal(err)
		}
		v, err := protocol.ReadValue(r)
		if err != nil {
			log.Fatal(err)
		}
		if err := v.Err(); err != nil {
			log.Fatal(err)
		}
		return v
	}
	call("HELLO", "3")
	infos := call("COMMAND")
	docs := call("COMMAND", "DOCS").Map()

	var specs []*command.Spec
	for _, info := range infos.Elems {
		s := parseInfo(info)
		addDocs(s, docs[s.Name])
		specs = append(specs, s)
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	data, err := json.MarshalIndent(specs, "", " ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}

func strs(v protocol.Value) []string {
	var out []string
	for _, e := range v.Elems {
		out = append(out, e.Str)
	}
	return out
}

func parseInfo(v protocol.Value) *command.Spec {
	e := v.Elems
	s := &command.Spec{
		Name: e[0].Str, Arity: int(e[1].Int), Flags: strs(e[2]),
		FirstKey: int(e[3].Int), LastKey: int(e[4].Int), KeyStep: int(e[5].Int),
		ACL: strs(e[6]), Tips: strs(e[7]),
	}
	for _, ks := range e[8].Elems {
		m := ks.Map()
		k := command.KeySpec{Notes: m["notes"].Str, Flags: strs(m["flags"])}
		bs := m["begin_search"].Map()
		k.BeginSearch = bs["type"].Str
		spec := bs["spec"].Map()
		k.Index = int(spec["index"].Int)
		k.Keyword = spec["keyword"].Str
		k.StartFrom = int(spec["startfrom"].Int)
		fk := m["find_keys"].Map()
		k.FindKeys = fk["type"].Str
		spec = fk["spec"].Map()
		k.LastKey = int(spec["lastkey"].Int)
		k.KeyStep = int(spec["keystep"].Int)
		k.Limit = int(spec["limit"].Int)
		k.KeyNumIdx = int(spec["keynumidx"].Int)
		k.FirstKey = int(spec["firstkey"].Int)
		s.KeySpecs = append(s.KeySpecs, k)
	}
	for _, sub := range e[9].Elems {
		s.Subcommands = append(s.Subcommands, parseInfo(sub))
	}
	sort.Slice(s.Subcommands, func(i, j int) bool { return s.Subcommands[i].Name < s.Subcommands[j].Name })
	return s
}

func addDocs(s *command.Spec, v protocol.Value) {
	m := v.Map()
	s.Doc = command.Doc{
		Summary: m["summary"].Str, Since: m["since"].Str, Group: m["group"].Str,
		Complexity: m["complexity"].Str, DocFlags: strs(m["doc_flags"]),
		DeprecatedSince: m["deprecated_since"].Str, ReplacedBy: m["replaced_by"].Str,
		Arguments: parseArgs(m["arguments"]),
	}
	for _, h := range m["history"].Elems {
		s.Doc.History = append(s.Doc.History, [2]string{h.Elems[0].Str, h.Elems[1].Str})
	}
	subs := m["subcommands"].Map()
	for _, sub := range s.Subcommands {
		addDocs(sub, subs[sub.Name])
	}
}

func parseArgs(v protocol.Value) []command.Arg {
	var out []command.Arg
	for _, a := range v.Elems {
		m := a.Map()
		arg := command.Arg{
			Name: m["name"].Str, Type: m["type"].Str,
			Summary: m["summary"].Str, Since: m["since"].Str,
			DeprecatedSince: m["deprecated_since"].Str, Flags: strs(m["flags"]),
			Arguments: parseArgs(m["arguments"]),
		}
		if tok, ok := m["token"]; ok {
			arg.Token = &tok.Str
		}
		if ks, ok := m["key_spec_index"]; ok {
			i := int(ks.Int)
			arg.KeySpecIndex = &i
		}
		out = append(out, arg)
	}
	return out
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
