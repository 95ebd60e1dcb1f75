package replication

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The redoubt-server binary is built once per test binary, on first use:
// every test runs it (and redis-server) as separate processes that talk
// to each other over loopback TCP, as a primary and its replicas do. The
// all-Redis controls need no build, so they run even while the server
// package does not compile.
var (
	binDir    string
	buildOnce sync.Once
	serverBin string
	buildErr  error
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if binDir, err = os.MkdirTemp("", "redoubt-replication-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	return m.Run()
}

// redoubtServer returns the path of the built redoubt-server, failing
// the test if it does not build.
func redoubtServer(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		bin := filepath.Join(binDir, "redoubt-server")
		// The module root is the parent of this package's directory, where
		// go test runs the binary.
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/redoubt-server")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building ./cmd/redoubt-server: %v\n%s", err, out)
			return
		}
		serverBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return serverBin
}
