package sshchat

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// The client's version line is read ahead in one system call, and what
// came after it in the same read is handed on untouched, however the
// bytes arrive.
func TestVersionLineIsReadAhead(t *testing.T) {
	const sent = "SSH-2.0-OpenSSH_9.6\r\n\x00\x00\x01\x0c\x0a\x14kexinit and more"
	for _, pieces := range []int{1, 3, len(sent)} {
		client, server := net.Pipe()
		go func() { // ends when the last piece is written or the pipe closes
			for b := []byte(sent); len(b) > 0; {
				n := min(pieces, len(b))
				if _, err := client.Write(b[:n]); err != nil {
					return
				}
				b = b[n:]
			}
			client.Close()
		}()
		c := &limitedConn{Conn: server}
		var got []byte
		var one [1]byte
		for !bytes.HasSuffix(got, []byte("\n")) { // as the SSH library reads it
			if _, err := io.ReadFull(c, one[:]); err != nil {
				t.Fatalf("pieces of %d: version line: %v", pieces, err)
			}
			got = append(got, one[0])
		}
		rest, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		if string(got)+string(rest) != sent {
			t.Errorf("pieces of %d: read %q then %q", pieces, got, rest)
		}
		server.Close()
	}
}
