package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// openPTY opens a pseudo-terminal: the master, to read what is drawn,
// and the terminal itself.
func openPTY(t *testing.T) (master, term *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("a pseudo-terminal is needed: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	term, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.Close() })
	return master, term
}

// On a terminal the key sample draws its bar on standard error, and
// erases it; with --json, or on a pipe, there is none.
func TestDoctorProgressBarOnTerminal(t *testing.T) {
	redis, log := refredis.Start(t, t.TempDir())
	if redis == nil {
		t.Fatal(log)
	}
	for i := range 300 {
		redis.Do("SET", "k"+strconv.Itoa(i), "v")
	}
	master, term := openPTY(t)
	drawn := make(chan string)
	go func() {
		var all []byte
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil || bytes.Contains(all, []byte("END")) {
				drawn <- string(all)
				return
			}
		}
	}()
	if !isTerminal(term) {
		t.Fatal("the pseudo-terminal is not a terminal")
	}
	var out bytes.Buffer
	doctorMain([]string{redis.Addr()}, &out, term)
	doctorMain([]string{redis.Addr(), "--json"}, &out, term)
	term.WriteString("END")
	got := <-drawn
	if strings.Count(got, "sampling keys [") < 1 || strings.Count(got, "300/300") != 1 || !strings.Contains(got, "\r\x1b[K") {
		t.Errorf("the terminal got %q", got)
	}
	if strings.Contains(out.String(), "sampling keys") {
		t.Errorf("the bar went to the report: %q", out.String())
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	if isTerminal(pw) {
		t.Error("a pipe taken for a terminal")
	}
	doctorMain([]string{redis.Addr()}, &out, pw)
	pw.Close()
	if got, _ := io.ReadAll(pr); len(got) != 0 {
		t.Errorf("a pipe got %q", got)
	}
}
