package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/config"
)

// TLS (Redis's tls.c), on Go's crypto/tls.
//
// Connections to tls-port are TLS connections; everything after the
// handshake is the same server. The handshake runs in a goroutine of its
// own, bounded by tlsHandshakeTimeout, so a client that never finishes
// it holds neither the accept loop nor a slot for long. A connection
// that completed it is served by the TLS event loops (io-threads of
// them), loops like the others on io-poller's poller. On epoll, the
// loop runs crypto/tls's record layer itself over the descriptor it
// owns, through a transport that never blocks (poller_tls.go): a
// request costs a read(2), a write(2) and the cryptography, and a busy
// script, Pub/Sub, kills and shutdown reach TLS clients as they reach
// the others. The portable poller serves TLS through its goroutines,
// which block in the connection's Read and Write. This replaced TLS on
// the portable path everywhere, whose two goroutine hand-offs per
// request (reader to loop, loop to writer) left the server idle half
// the time; a loop per connection blocking in Read and Write itself was
// tried too, and paid the Go scheduler per request instead.
// docs/ARCHITECTURE.md (Request path) says more, bench/README.md (TLS)
// has the figures, and bench/run.sh's tls phase measures them.
//
// The settings are Redis's tls-* ones. A change by CONFIG SET builds a
// whole new configuration, which handshakes from then on use; a
// configuration that cannot be built (a missing file, a bad key) leaves
// the one in use and fails the CONFIG SET with Redis's message, as
// Redis's tlsConfigure does. Certificates are thus reloaded without a
// restart: CONFIG SET tls-cert-file with the same name reads the file
// again.

// tlsHandshakeTimeout bounds a TLS handshake: a client that connects
// and sends nothing does not stay.
const tlsHandshakeTimeout = 10 * time.Second

type tlsState struct {
	// server and client are the configurations in use for accepted
	// connections and for connections we open (replication with
	// tls-replication, MIGRATE with tls-cluster); nil until built.
	server atomic.Pointer[tls.Config]
	client atomic.Pointer[tls.Config]
	// listeners are tls-port's sockets.
	listeners []net.Listener
	// loops serve the TLS clients.
	loops []*loop
}

// tlsWanted reports whether the settings ask for TLS anywhere, which is
// when Redis configures it.
func tlsWanted(v *config.Values) bool {
	return v.TLSPort != 0 || v.TLSReplication || v.TLSCluster
}

// configureTLS builds the configurations from the settings and puts
// them in use, or logs why it cannot (in Redis's words) and changes
// nothing.
func (s *Server) configureTLS() error {
	srv, cli, err := buildTLS(&s.cfg.Values)
	if err != nil {
		s.log.Warningf("%v", err)
		return err
	}
	s.tls.server.Store(srv)
	s.tls.client.Store(cli)
	return nil
}

// buildTLS makes the server and client configurations the settings
// describe.
func buildTLS(v *config.Values) (srv, cli *tls.Config, err error) {
	if v.TLSCertFile == "" {
		return nil, nil, errors.New("No tls-cert-file configured!")
	}
	if v.TLSKeyFile == "" {
		return nil, nil, errors.New("No tls-key-file configured!")
	}
	if (v.TLSAuthClients != "no" || v.TLSCluster || v.TLSReplication) && v.TLSCACertFile == "" && v.TLSCACertDir == "" {
		return nil, nil, errors.New("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	}
	minV, maxV, err := tlsVersions(v.TLSProtocols)
	if err != nil {
		return nil, nil, err
	}
	cert, err := loadKeyPair(v.TLSCertFile, v.TLSKeyFile, v.TLSKeyFilePass)
	if err != nil {
		return nil, nil, err
	}
	var cas *x509.CertPool
	if v.TLSCACertFile != "" || v.TLSCACertDir != "" {
		if cas, err = loadCAs(v.TLSCACertFile, v.TLSCACertDir); err != nil {
			return nil, nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %v", err)
		}
	}
	suites, err := tlsCiphers(v.TLSCiphers)
	if err != nil {
		return nil, nil, err
	}
	if err := checkCipherSuites(v.TLSCipherSuites); err != nil {
		return nil, nil, err
	}
	if v.TLSDHParamsFile != "" {
		if err := checkDHParams(v.TLSDHParamsFile); err != nil {
			return nil, nil, err
		}
	}
	srv = &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    cas,
		MinVersion:   minV,
		MaxVersion:   maxV,
		CipherSuites: suites,
		// Go's server keeps no session cache: resumption is by session
		// tickets, which tls-session-caching no turns off.
		SessionTicketsDisabled: !v.TLSSessionCaching,
	}
	switch v.TLSAuthClients {
	case "yes":
		srv.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		srv.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		srv.ClientAuth = tls.NoClientCert
	}

	// The client side presents tls-client-cert-file, or the server's
	// certificate when none is given, and checks the peer's chain
	// against the CAs but not its name: Redis's OpenSSL client verifies
	// the peer (SSL_VERIFY_PEER) without a host name to match.
	clientCert := cert
	if v.TLSClientCertFile != "" {
		if clientCert, err = loadKeyPair(v.TLSClientCertFile, v.TLSClientKeyFile, v.TLSClientKeyFilePass); err != nil {
			return nil, nil, err
		}
	}
	cli = &tls.Config{
		Certificates:       []tls.Certificate{clientCert},
		MinVersion:         minV,
		MaxVersion:         maxV,
		CipherSuites:       suites,
		InsecureSkipVerify: true, // the chain is checked below, the name is not
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, cas)
		},
	}
	return srv, cli, nil
}

// verifyChain checks a peer's certificate chain against the CAs, with no
// host name to match.
func verifyChain(raw [][]byte, cas *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("the peer sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return err
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: cas, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// loadKeyPair reads a certificate and its key; pass decrypts a key
// encrypted in the traditional PEM way (Proc-Type: 4,ENCRYPTED), as
// OpenSSL's PEM reader does with the password it is given.
func loadKeyPair(certFile, keyFile, pass string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load certificate: %s: %v", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	if block, _ := pem.Decode(keyPEM); block != nil {
		// Deprecated functions, and an insecure format, but the one
		// tls-key-file-pass is for.
		if x509.IsEncryptedPEMBlock(block) {
			der, err := x509.DecryptPEMBlock(block, []byte(pass))
			if err != nil {
				return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
			}
			keyPEM = pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der})
		} else if block.Type == "ENCRYPTED PRIVATE KEY" {
			return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: encrypted PKCS#8 keys are not supported; use a traditional PEM encryption or none", keyFile)
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load certificate: %s: %v", certFile, err)
	}
	return cert, nil
}

// loadCAs reads the CA certificates of a file and of every file of a
// directory (OpenSSL's CApath wants hashed names; any PEM file does
// here).
func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	add := func(name string) error {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		if !pool.AppendCertsFromPEM(b) {
			return fmt.Errorf("%s: no certificate in it", name)
		}
		return nil
	}
	if file != "" {
		if err := add(file); err != nil {
			return nil, err
		}
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				// Files that hold no certificate (an index, a CRL) are
				// passed over, as OpenSSL's directory lookup does.
				_ = add(filepath.Join(dir, e.Name()))
			}
		}
	}
	return pool, nil
}

// tlsVersions parses tls-protocols: Redis's default is TLSv1.2 and
// TLSv1.3. Go enables a range of versions, from the lowest named to the
// highest.
func tlsVersions(protocols string) (minV, maxV uint16, err error) {
	if strings.TrimSpace(protocols) == "" {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, p := range strings.Fields(protocols) {
		var v uint16
		switch strings.ToLower(p) {
		case "tlsv1":
			v = tls.VersionTLS10
		case "tlsv1.1":
			v = tls.VersionTLS11
		case "tlsv1.2":
			v = tls.VersionTLS12
		case "tlsv1.3":
			v = tls.VersionTLS13
		default:
			return 0, 0, errors.New("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
		if minV == 0 || v < minV {
			minV = v
		}
		maxV = max(maxV, v)
	}
	return minV, maxV, nil
}

// opensslCiphers maps OpenSSL's names of the TLS 1.2 suites Go
// implements to Go's.
var opensslCiphers = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
}

// opensslKeywords are the cipher-list words that name a family rather
// than a suite: where they appear, Go's own choice of suites (all
// strong) stands in for OpenSSL's reading of them.
var opensslKeywords = map[string]bool{
	"DEFAULT": true, "HIGH": true, "ALL": true, "COMPLEMENTOFDEFAULT": true,
	"ECDHE": true, "EECDH": true, "AESGCM": true, "AES": true, "CHACHA20": true,
	"aRSA": true, "aECDSA": true, "kECDHE": true, "SHA256": true, "SHA384": true,
	"@STRENGTH": true, "@SECLEVEL=0": true, "@SECLEVEL=1": true, "@SECLEVEL=2": true,
}

// tlsCiphers parses tls-ciphers, an OpenSSL cipher list for TLS 1.2 and
// below: suite names Go implements are used in the given order; family
// words and exclusions (!, -, +) leave Go's defaults; anything else is
// refused as Redis refuses a list OpenSSL cannot use.
func tlsCiphers(list string) ([]uint16, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []uint16
	family := false
	for _, tok := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		switch {
		case opensslCiphers[tok] != 0:
			out = append(out, opensslCiphers[tok])
		case opensslKeywords[tok] || strings.HasPrefix(tok, "!") || strings.HasPrefix(tok, "-") || strings.HasPrefix(tok, "+"):
			family = true
		default:
			return nil, fmt.Errorf("Failed to configure ciphers: %s", list)
		}
	}
	if family {
		return nil, nil
	}
	return out, nil
}

// checkCipherSuites checks tls-ciphersuites, OpenSSL's TLS 1.3 list. Go
// does not let TLS 1.3 suites be chosen (it offers the three below,
// all strong), so a valid list is accepted as it is.
func checkCipherSuites(list string) error {
	for _, tok := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' }) {
		switch tok {
		case "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
			"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256":
		default:
			return fmt.Errorf("Failed to configure ciphersuites: %s", list)
		}
	}
	return nil
}

// checkDHParams reads tls-dh-params-file. Go's TLS negotiates keys with
// ECDHE only, so the parameters go unused, but a file that is not DH
// parameters is refused as Redis refuses it.
func checkDHParams(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("Failed to load %s: %v", file, err)
	}
	if block, _ := pem.Decode(b); block == nil || block.Type != "DH PARAMETERS" {
		return fmt.Errorf("%s: failed to read DH params.", file)
	}
	return nil
}
