package sshchat

import (
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line, word, arg string
		isCmd           bool
		text            string
	}{
		{"hello", "", "", false, "hello"},
		{"/quit", "quit", "", true, ""},
		{"/msg bob hi there", "msg", "bob hi there", true, ""},
		{"/bob   hi", "bob", "hi", true, ""},
		{"/msg\tbob hi", "msg", "bob hi", true, ""},
		{"//not a command", "", "", false, "/not a command"},
		{"/", "", "", true, ""},
		{" /quit", "", "", false, " /quit"}, // a leading space makes it text
	}
	for _, tt := range tests {
		word, arg, isCmd, text := parseLine(tt.line)
		if word != tt.word || arg != tt.arg || isCmd != tt.isCmd || text != tt.text {
			t.Errorf("parseLine(%q) = %q, %q, %v, %q; want %q, %q, %v, %q",
				tt.line, word, arg, isCmd, text, tt.word, tt.arg, tt.isCmd, tt.text)
		}
	}
}

func TestCommandNamesInBothLanguages(t *testing.T) {
	for _, name := range []string{"sair", "quit", "exit", "clientes", "who", "names", "msg", "privado", "ajuda", "help", "lang", "idioma", "whois", "quem"} {
		if _, ok := lookupCommand(name); !ok {
			t.Errorf("/%s is not a command", name)
		}
		if _, err := checkName(name, isCommandName); err == nil {
			t.Errorf("%q is accepted as a user name", name)
		}
	}
	if c, _ := lookupCommand("SAIR"); c == nil {
		t.Error("commands are not case-insensitive")
	}
}

// FuzzParseLine: the parser never panics, never loses text, and a command
// never yields message text nor a message a command word.
func FuzzParseLine(f *testing.F) {
	for _, seed := range []string{"hello", "/quit", "/msg bob hi", "//x", "/", "/\t", "/ x", "/é ü", "\x00/", "/msg \xff\xfe"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		word, arg, isCmd, text := parseLine(line)
		if isCmd {
			if text != "" {
				t.Fatalf("command %q has text %q", line, text)
			}
			if strings.ContainsAny(word, " \t") {
				t.Fatalf("command word %q holds a space", word)
			}
			if !strings.HasPrefix(line, "/"+word) || !strings.HasSuffix(line, arg) {
				t.Fatalf("parts %q %q do not come from %q", word, arg, line)
			}
			return
		}
		if word != "" || arg != "" {
			t.Fatalf("message %q has command parts %q %q", line, word, arg)
		}
		if text != line && "/"+text != line {
			t.Fatalf("message %q became %q", line, text)
		}
	})
}
