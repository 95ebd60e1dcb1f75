package server_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt"
)

// A metrics port that is taken stops the start with Redis's wording for
// a busy port, instead of a server that runs unwatched.
func TestMetricsPortInUseStopsTheStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	var log syncBuffer
	srv, err := redoubt.Start(context.Background(), redoubt.Config{
		Settings: []string{"metrics-port " + strconv.Itoa(port), "dir " + t.TempDir()},
		Log:      &log,
	})
	if err == nil {
		srv.Close()
		t.Fatal("the server started with its metrics port taken")
	}
	if want := "Failed listening on metrics port " + strconv.Itoa(port) + " (tcp)"; !strings.Contains(log.String(), want) {
		t.Fatalf("the log lacks %q:\n%s", want, log.String())
	}
}
