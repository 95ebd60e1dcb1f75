package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/refredis"
)

// testCerts is a CA and certificates it signed, written as PEM files in
// a directory, as Redis's utils/gen-test-certs.sh lays them out.
type testCerts struct {
	dir                      string
	ca, server, client       string // certificate files
	serverKey, clientKey     string
	rogueClient, rogueKey    string // signed by another CA
	expiredClient, expiredKy string
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// issue makes a key and a certificate for name, signed by parent (self
// signed when parent is nil), and writes both.
func issue(t *testing.T, dir, name string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, notAfter time.Time) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, Organization: []string{"Redoubt test"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	writePEM(t, filepath.Join(dir, name+".crt"), "CERTIFICATE", der)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".key"), "EC PRIVATE KEY", kder)
	return cert, key
}

func newTestCerts(t *testing.T) *testCerts {
	t.Helper()
	dir := t.TempDir()
	year := time.Now().Add(365 * 24 * time.Hour)
	ca, caKey := issue(t, dir, "ca", true, nil, nil, year)
	issue(t, dir, "server", false, ca, caKey, year)
	issue(t, dir, "client", false, ca, caKey, year)
	issue(t, dir, "expired", false, ca, caKey, time.Now().Add(-time.Minute))
	rogue, rogueKey := issue(t, dir, "rogue-ca", true, nil, nil, year)
	issue(t, dir, "rogue", false, rogue, rogueKey, year)
	p := func(n string) string { return filepath.Join(dir, n) }
	return &testCerts{dir: dir, ca: p("ca.crt"), server: p("server.crt"), serverKey: p("server.key"),
		client: p("client.crt"), clientKey: p("client.key"), rogueClient: p("rogue.crt"), rogueKey: p("rogue.key"),
		expiredClient: p("expired.crt"), expiredKy: p("expired.key")}
}

// settings are the tls-* lines of a server on tlsPort.
func (c *testCerts) settings(tlsPort int, extra ...string) []string {
	return append([]string{"tls-port " + strconv.Itoa(tlsPort), "tls-cert-file " + c.server, "tls-key-file " + c.serverKey,
		"tls-ca-cert-file " + c.ca}, extra...)
}

// clientConfig is a go-redis TLS configuration presenting cert (none
// when empty) and trusting the test CA.
func (c *testCerts) clientConfig(t *testing.T, cert, key string) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	b, _ := os.ReadFile(c.ca)
	pool.AppendCertsFromPEM(b)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if cert != "" {
		kp, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		// Sent whatever CAs the server names as acceptable, as
		// OpenSSL's clients (redis-cli) send theirs: Go's client would
		// otherwise keep a certificate of another CA to itself.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &kp, nil }
	}
	return cfg
}

func startTLS(t *testing.T, settings []string) (*redoubt.Server, *syncBuffer) {
	t.Helper()
	var log syncBuffer
	srv, err := redoubt.Start(context.Background(), redoubt.Config{
		Settings: append([]string{"dir " + t.TempDir(), "loglevel verbose"}, settings...),
		Log:      &log,
	})
	if err != nil {
		t.Fatalf("start: %v\n%s", err, log.String())
	}
	t.Cleanup(func() { srv.Close() })
	return srv, &log
}

// go-redis and redis-cli speak to the TLS port with and without client
// certificates, as tls-auth-clients asks; the plain port keeps working
// beside it.
func TestTLSClients(t *testing.T) {
	certs := newTestCerts(t)
	ctx := context.Background()
	for _, auth := range []string{"yes", "optional", "no"} {
		t.Run("tls-auth-clients "+auth, func(t *testing.T) {
			port := difftest.FreePort(t)
			srv, _ := startTLS(t, certs.settings(port, "tls-auth-clients "+auth))
			addr := "127.0.0.1:" + strconv.Itoa(port)
			withCert := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: certs.clientConfig(t, certs.client, certs.clientKey), MaxRetries: -1})
			defer withCert.Close()
			if err := withCert.Set(ctx, "k", "over tls", 0).Err(); err != nil {
				t.Fatalf("a client with a certificate: %v", err)
			}
			noCert := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: certs.clientConfig(t, "", ""), MaxRetries: -1})
			defer noCert.Close()
			got, err := noCert.Get(ctx, "k").Result()
			switch {
			case auth == "yes" && err == nil:
				t.Fatal("tls-auth-clients yes served a client without a certificate")
			case auth != "yes" && (err != nil || got != "over tls"):
				t.Fatalf("a client without a certificate: %q, %v", got, err)
			}
			rogue := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: certs.clientConfig(t, certs.rogueClient, certs.rogueKey), MaxRetries: -1})
			defer rogue.Close()
			if err := rogue.Ping(ctx).Err(); auth != "no" && err == nil {
				t.Fatal("a certificate from another CA was accepted")
			}
			expired := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: certs.clientConfig(t, certs.expiredClient, certs.expiredKy), MaxRetries: -1})
			defer expired.Close()
			if err := expired.Ping(ctx).Err(); auth != "no" && err == nil {
				t.Fatal("an expired certificate was accepted")
			}
			plain := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer plain.Close()
			if got, err := plain.Get(ctx, "k").Result(); err != nil || got != "over tls" {
				t.Fatalf("the plain port: %q, %v", got, err)
			}

			out, err := exec.Command(refredis.Tool(t, "redis-cli"), "--tls", "--cacert", certs.ca, "--cert", certs.client,
				"--key", certs.clientKey, "-p", strconv.Itoa(port), "GET", "k").CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "over tls" {
				t.Fatalf("redis-cli --tls: %v: %s", err, out)
			}
		})
	}
}

// Bad input on the TLS port: plain text, a handshake that never comes
// (the connection is dropped after the handshake timeout is not waited
// for here: the server must keep serving others meanwhile), TLS spoken
// to the plain port.
func TestTLSBadInput(t *testing.T) {
	certs := newTestCerts(t)
	port := difftest.FreePort(t)
	srv, log := startTLS(t, certs.settings(port, "tls-auth-clients no"))
	addr := "127.0.0.1:" + strconv.Itoa(port)

	// Plain text to the TLS port: no reply, the connection closes.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("PING\r\n"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err == nil && strings.Contains(string(buf[:n]), "PONG") {
		t.Fatal("the TLS port answered plain text")
	}
	c.Close()

	// A silent client does not stop the others.
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: certs.clientConfig(t, "", "")})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("a TLS client beside a silent one: %v", err)
	}

	// TLS to the plain port: the hello is read as an inline command, as
	// Redis reads it (an error reply if it holds a newline, else a wait
	// for the rest of the line), so the handshake fails or times out on
	// the client's side, and the server goes on.
	tc, err := tls.DialWithDialer(&net.Dialer{Deadline: time.Now().Add(2 * time.Second)}, "tcp", srv.Addr(), certs.clientConfig(t, "", ""))
	if err == nil {
		tc.Close()
		t.Fatal("the plain port completed a TLS handshake")
	}
	plain := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer plain.Close()
	if err := plain.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "Error accepting a client connection") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line for the plain-text client:\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Settings that cannot make a TLS configuration stop the start, or fail
// CONFIG SET with Redis's message and leave the configuration in use;
// CONFIG SET tls-cert-file reloads the certificate.
func TestTLSConfiguration(t *testing.T) {
	certs := newTestCerts(t)
	_, err := redoubt.Start(context.Background(), redoubt.Config{Settings: []string{"tls-port " + strconv.Itoa(difftest.FreePort(t)),
		"tls-cert-file " + certs.server, "tls-key-file " + filepath.Join(certs.dir, "missing.key"), "tls-auth-clients no", "dir " + t.TempDir()}})
	if err == nil {
		t.Fatal("started with a missing key")
	}

	port := difftest.FreePort(t)
	srv, _ := startTLS(t, certs.settings(port, "tls-auth-clients no"))
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer admin.Close()
	err = admin.ConfigSet(ctx, "tls-key-file", filepath.Join(certs.dir, "missing.key")).Err()
	if err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'tls-key-file') - Unable to update TLS configuration. Check server logs." {
		t.Fatalf("CONFIG SET of a missing key: %v", err)
	}
	err = admin.ConfigSet(ctx, "tls-protocols", "TLSv1.4").Err()
	if err == nil || !strings.Contains(err.Error(), "Unable to update TLS configuration") {
		t.Fatalf("CONFIG SET tls-protocols TLSv1.4: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), TLSConfig: certs.clientConfig(t, "", "")})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("after failed CONFIG SETs: %v", err)
	}

	// A new certificate under the same name is read by CONFIG SET.
	other := t.TempDir()
	ca2, ca2Key := issue(t, other, "ca2", true, nil, nil, time.Now().Add(time.Hour))
	issue(t, other, "server2", false, ca2, ca2Key, time.Now().Add(time.Hour))
	for _, f := range [][2]string{{"server2.crt", certs.server}, {"server2.key", certs.serverKey}} {
		b, _ := os.ReadFile(filepath.Join(other, f[0]))
		os.WriteFile(f[1], b, 0o600)
	}
	if err := admin.ConfigSet(ctx, "tls-cert-file", certs.server).Err(); err != nil {
		t.Fatalf("CONFIG SET tls-cert-file to reload: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca2)
	reloaded := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
	defer reloaded.Close()
	if err := reloaded.Ping(ctx).Err(); err != nil {
		t.Fatalf("a client trusting only the new certificate's CA: %v", err)
	}

	// tls-port moves with CONFIG SET.
	port2 := difftest.FreePort(t)
	if err := admin.ConfigSet(ctx, "tls-port", strconv.Itoa(port2)).Err(); err != nil {
		t.Fatal(err)
	}
	moved := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port2), TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
	defer moved.Close()
	if err := moved.Ping(ctx).Err(); err != nil {
		t.Fatalf("the new tls-port: %v", err)
	}
}

// A replica with tls-replication yes follows a primary on its TLS port,
// presenting its certificate to a primary that requires one; Redis's
// replica of a Redoubt primary over TLS too.
func TestTLSReplication(t *testing.T) {
	certs := newTestCerts(t)
	ctx := context.Background()
	port := difftest.FreePort(t)
	primary, _ := startTLS(t, certs.settings(port, "tls-auth-clients yes", "repl-diskless-sync-delay 0"))
	replica, _ := startTLS(t, []string{"tls-cert-file " + certs.client, "tls-key-file " + certs.clientKey,
		"tls-ca-cert-file " + certs.ca, "tls-replication yes", "replicaof 127.0.0.1 " + strconv.Itoa(port)})
	p := redis.NewClient(&redis.Options{Addr: primary.Addr()})
	defer p.Close()
	r := redis.NewClient(&redis.Options{Addr: replica.Addr()})
	defer r.Close()
	p.Set(ctx, "k", "over tls", 0)
	deadline := time.Now().Add(20 * time.Second)
	for r.Get(ctx, "k").Val() != "over tls" {
		if time.Now().After(deadline) {
			t.Fatalf("the replica never got the key: %s", r.Info(ctx, "replication").Val())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The reference as a replica of Redoubt over TLS.
	rport := difftest.FreePort(t)
	ref := exec.Command(refredis.Tool(t, "redis-server"), "--port", strconv.Itoa(rport), "--bind", "127.0.0.1", "--save", "",
		"--dir", t.TempDir(), "--tls-replication", "yes", "--tls-cert-file", certs.client, "--tls-key-file", certs.clientKey,
		"--tls-ca-cert-file", certs.ca, "--replicaof", "127.0.0.1", strconv.Itoa(port))
	if err := ref.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Process.Kill(); ref.Wait() })
	rr := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(rport)})
	defer rr.Close()
	for rr.Get(ctx, "k").Val() != "over tls" {
		if time.Now().After(deadline.Add(20 * time.Second)) {
			t.Fatalf("Redis as a replica never got the key: %s", rr.Info(ctx, "replication").Val())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MIGRATE goes over TLS with tls-cluster yes, as Redis's does, to a
// Redoubt and to a Redis that require client certificates.
func TestTLSMigrate(t *testing.T) {
	certs := newTestCerts(t)
	ctx := context.Background()
	src, _ := startTLS(t, []string{"tls-cert-file " + certs.client, "tls-key-file " + certs.clientKey,
		"tls-ca-cert-file " + certs.ca, "tls-cluster yes"})
	dport := difftest.FreePort(t)
	startTLS(t, certs.settings(dport, "tls-auth-clients yes"))
	rport := difftest.FreePort(t)
	ref := exec.Command(refredis.Tool(t, "redis-server"), "--port", "0", "--tls-port", strconv.Itoa(rport), "--bind", "127.0.0.1",
		"--save", "", "--dir", t.TempDir(), "--tls-cert-file", certs.server, "--tls-key-file", certs.serverKey,
		"--tls-ca-cert-file", certs.ca, "--tls-auth-clients", "yes")
	if err := ref.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Process.Kill(); ref.Wait() })
	c := redis.NewClient(&redis.Options{Addr: src.Addr()})
	defer c.Close()
	for name, port := range map[string]int{"redoubt": dport, "redis": rport} {
		tc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port),
			TLSConfig: certs.clientConfig(t, certs.client, certs.clientKey)})
		defer tc.Close()
		deadline := time.Now().Add(10 * time.Second)
		for tc.Ping(ctx).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("%s over TLS: %v", name, tc.Ping(ctx).Err())
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.RPush(ctx, "list", "a", "b", "c")
		if err := c.Migrate(ctx, "127.0.0.1", strconv.Itoa(port), "list", 0, 5*time.Second).Err(); err != nil {
			t.Fatalf("MIGRATE to %s over TLS: %v", name, err)
		}
		if got := tc.LRange(ctx, "list", 0, -1).Val(); strings.Join(got, ",") != "a,b,c" {
			t.Fatalf("%s after MIGRATE: %v", name, got)
		}
		if n := c.Exists(ctx, "list").Val(); n != 0 {
			t.Fatalf("the source kept the key after MIGRATE to %s", name)
		}
	}
}
