package sshchat

import (
	"io"
	"reflect"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// rawChannel returns the SSH channel under an ssh.Session, or the session
// itself if it cannot be found.
//
// The library's Session.Write, for an emulated terminal, looks the
// emulation flag up in the connection's context (a mutex and a map) and
// rewrites every "\n" to "\r\n" in two allocating passes, on every write:
// about 6% of the server's CPU under load. Our terminal already writes
// "\r\n" and our plain mode wants bytes as they are, so we write to the
// channel directly. The session type is unexported, but the channel is its
// embedded, exported field; TestRawChannelIsFound notices if that changes.
func rawChannel(s ssh.Session) io.ReadWriter {
	v := reflect.ValueOf(s)
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		if f := v.Elem().FieldByName("Channel"); f.IsValid() && f.CanInterface() {
			if ch, ok := f.Interface().(gossh.Channel); ok && ch != nil {
				return ch
			}
		}
	}
	return s
}
