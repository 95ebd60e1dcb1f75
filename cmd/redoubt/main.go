// Command redoubt holds Redoubt's administration tools, the counterparts
// of Redis's redis-check-aof and redis-check-rdb (redis-cli stays the
// interactive client):
//
//	redoubt check-aof [--fix [--yes] | --truncate-to-timestamp <ts>] <file.manifest|file.aof>
//	redoubt check-rdb <file.rdb>
//	redoubt doctor HOST:PORT [HOST:PORT ...] [--json] [--sample N] [--sample-time D] [--timeout D] [--datadir PATH ...]
//
// check-aof behaves as redis-check-aof 7.0 does, with its messages and
// exit codes (0 when the files are sound or were fixed, 1 otherwise), on
// a manifest (each file it lists, the base through the RDB check when it
// is an RDB file) or on a single AOF. --fix cuts a damaged last file back
// to its last sound command after asking "Continue? [y/N]" on standard
// input, as redis-check-aof does; --yes answers yes without asking, for
// scripts (so does piping "y" in, as with redis-check-aof).
//
// check-rdb checks an RDB file as Redoubt loads it, value by value with
// the loaders of package keyspace's types, reporting in redis-check-rdb's
// format ("[offset N] ...") and exiting 1 on a fault.
//
// Both print a progress line to standard error, at most once a second,
// while a big file is read.
//
// doctor audits running servers, Redis or Redoubt, read-only, for the
// settings and states behind the incident catalogue: settings, memory
// and eviction, replication, a bounded sample of the keys for big and hot
// keys, and with --datadir the data directory on this machine
// (doctor.go).
package main

import (
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: redoubt <command> [arguments]

Commands:
  check-aof [--fix [--yes]|--truncate-to-timestamp <ts>] <file.manifest|file.aof>
      check an append-only file, or all the files of a manifest, as
      redis-check-aof does; --fix cuts a torn or damaged last file back to
      its last sound command (after asking, unless --yes)
  check-rdb <file.rdb>
      check an RDB file as Redoubt loads it, as redis-check-rdb does
  doctor HOST:PORT [HOST:PORT ...] [--json] [--sample N] [--sample-time D]
         [--timeout D] [--datadir PATH ...]
      audit running servers (Redis or Redoubt, read-only) for the settings
      and states behind known production incidents, big and hot keys
      included; --datadir PATH (one per server, in order) checks the data
      directory on this machine; exit 1 when something was found, 2 when
      a server could not be audited
`)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 1
	}
	switch args[0] {
	case "check-aof":
		return checkAOFMain(args[1:], stdin, stdout, stderr)
	case "check-rdb":
		return checkRDBMain(args[1:], stdout, stderr)
	case "doctor":
		return doctorMain(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "redoubt: unknown command %q\n", args[0])
	usage(stderr)
	return 1
}
