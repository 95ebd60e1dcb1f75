package durability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The binaries under test, built once for the whole test binary: every
// test runs them as separate processes so that a SIGKILL is a real crash.
var (
	serverBin string // redoubt-server
	toolBin   string // redoubt (check-aof)
)

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "redoubt-durability-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	serverBin = filepath.Join(dir, "redoubt-server")
	toolBin = filepath.Join(dir, "redoubt")
	for bin, pkg := range map[string]string{serverBin: "./cmd/redoubt-server", toolBin: "./cmd/redoubt"} {
		// The module root is the parent of this package's directory,
		// where go test runs the binary.
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	return m.Run()
}
