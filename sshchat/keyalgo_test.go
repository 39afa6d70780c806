package sshchat

import (
	"crypto/rand"
	"crypto/rsa"
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// A key is an identity: an RSA key signing with SHA-1 ("ssh-rsa") is
// refused, as OpenSSH has done since 8.8; the same key signing with
// rsa-sha2-256 or -512 is taken.
func TestSHA1RSASignaturesAreRefused(t *testing.T) {
	srv := startServer(t, nil)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, algo := range []string{gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSASHA512} {
		only, err := gossh.NewSignerWithAlgorithms(signer.(gossh.AlgorithmSigner), []string{algo})
		if err != nil {
			t.Fatal(err)
		}
		c := connect(t, srv.addr, "r"+strings.TrimPrefix(algo, "rsa-sha2-"), clientOpts{signers: []gossh.Signer{only}})
		c.expect("Welcome")
		c.send("/whois " + c.name)
		c.expect(gossh.FingerprintSHA256(signer.PublicKey()))
	}

	sha1, err := gossh.NewSignerWithAlgorithms(signer.(gossh.AlgorithmSigner), []string{gossh.KeyAlgoRSA})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", srv.addr, waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _, _, err = gossh.NewClientConn(conn, srv.addr, &gossh.ClientConfig{
		User:            "mallory",
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(sha1)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         5 * time.Second,
	})
	if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("an ssh-rsa (SHA-1) signature was accepted: %v", err)
	}
}
