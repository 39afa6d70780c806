package sshchat

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/term"
)

// chunkReader hands out its chunks one per Read, as packets arrive.
type chunkReader struct{ chunks [][]byte }

func (r *chunkReader) Read(b []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

// decodeAll decodes chunks, reading into buffers of the sizes in sizes
// in turn (256 when sizes is empty), and returns all the output.
func decodeAll(t testing.TB, chunks [][]byte, sizes []int, forTerm bool) []byte {
	t.Helper()
	var own [][]byte // chunkReader consumes its chunks
	for _, c := range chunks {
		own = append(own, bytes.Clone(c))
	}
	d := newInputDecoder(&chunkReader{chunks: own})
	d.forTerm = forTerm
	var out []byte
	buf := make([]byte, 300)
	for i := 0; ; i++ {
		size := 256
		if len(sizes) > 0 {
			size = sizes[i%len(sizes)]
		}
		n, err := d.Read(buf[:size])
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if n == 0 {
			t.Fatalf("read returned no bytes and no error")
		}
		if i > 100000 {
			t.Fatalf("no end of input")
		}
	}
}

func TestInputDecoder(t *testing.T) {
	const fffd = "\uFFFD"
	tests := []struct {
		name   string
		chunks []string
		want   string
	}{
		{"plain", []string{"hello\r"}, "hello\r"},
		{"valid UTF-8", []string{"olá → 世界 😀\r"}, "olá → 世界 😀\r"},
		{"invalid bytes, one run each", []string{"start \xff\xfe \xc0\xaf \xed\xa0\x80 \xf8\x88\x80\x80\x80 end\r"},
			"start " + fffd + " " + fffd + " " + fffd + " " + fffd + " end\r"},
		{"character split across reads", []string{"a\xe2", "\x82", "\xacb"}, "a€b"},
		{"emoji split byte by byte", []string{"\xf0", "\x9f", "\x98", "\x80"}, "😀"},
		{"truncated character then Enter", []string{"abc\xe2\x82", "\r"}, "abc" + fffd + "\r"},
		{"truncated character at the end of input", []string{"abc\xe2\x82"}, "abc" + fffd},
		{"bad run split across reads", []string{"a\xff", "\xfe", "b"}, "a" + fffd + "b"},
		{"end of a bracketed paste", []string{"\x1b[200~pasted \xff\xfe\x1b[201~"}, "\x1b[200~pasted " + fffd + "\x1b[201~"},
		{"Home and End, tmux", []string{"\x1b[1~\x1b[4~"}, "\x1b[H\x1b[F"},
		{"Home and End, rxvt", []string{"\x1b[7~\x1b[8~"}, "\x1b[H\x1b[F"},
		{"application mode", []string{"\x1bOH\x1bOF\x1bOA\x1bOB\x1bOC\x1bOD"}, "\x1b[H\x1b[F\x1b[A\x1b[B\x1b[C\x1b[D"},
		{"Home split after ESC", []string{"ab\x1b", "[1~c"}, "ab\x1b[Hc"},
		{"Home split after [", []string{"\x1b[", "1~"}, "\x1b[H"},
		{"End split before ~", []string{"\x1b[4", "~"}, "\x1b[F"},
		{"application Home split", []string{"\x1b", "O", "H"}, "\x1b[H"},
		{"F1 is ignored whole, not typed", []string{"\x1bOP"}, "\x1b[P"},
		{"other keys pass", []string{"\x1b[3~\x1b[A\x1b[15~\x1b[1;5C\x1b[200~"}, "\x1b[3~\x1b[A\x1b[15~\x1b[1;5C\x1b[200~"},
		{"Alt+Enter passes", []string{"\x1b\r"}, "\x1b\r"},
		{"lone ESC at the end of input", []string{"x\x1b"}, "x\x1b"},
		{"ESC [ at the end of input", []string{"x\x1b["}, "x\x1b["},
		{"ESC before a broken character", []string{"\x1b\xff"}, "\x1b" + fffd},
		{"literal U+FFFD is kept", []string{fffd + "\xff" + fffd}, fffd + fffd + fffd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, []byte(c))
			}
			if got := string(decodeAll(t, chunks, nil, false)); got != tt.want {
				t.Errorf("decoded %q, want %q", got, tt.want)
			}
			// For x/term, U+FFFD is handed on as substitute.
			want := strings.ReplaceAll(tt.want, fffd, string(substitute))
			if got := string(decodeAll(t, chunks, nil, true)); got != want {
				t.Errorf("decoded for x/term %q, want %q", got, want)
			}
		})
	}
}

// An escape sequence that never ends is ended by the decoder: x/term would
// otherwise fill its buffer with it and then read into no space, spinning
// for good.
func TestInputDecoderEndsEndlessEscape(t *testing.T) {
	in := "\x1b" + strings.Repeat("1", 300) + "\rhello\r"
	r := &countingReader{r: newInputDecoder(strings.NewReader(in))}
	tm := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{r, io.Discard}, "")
	for {
		line, err := tm.ReadLine()
		if err != nil {
			t.Fatalf("no line %q: %v after %d reads", "hello", err, r.reads)
		}
		if line == "hello" {
			break
		}
		if r.reads > 100 {
			t.Fatalf("%d reads and no line %q", r.reads, "hello")
		}
	}
}

type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(b []byte) (int, error) {
	c.reads++
	return c.r.Read(b)
}

func TestInputDecoderAllocatesNothing(t *testing.T) {
	in := []byte("typing \xff\xfe olá \x1b[1~\x1bOH\x1b[A\r")
	src := &bytes.Reader{}
	d := newInputDecoder(src)
	buf := make([]byte, 256)
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(in)
		for {
			if _, err := d.Read(buf); err != nil {
				break
			}
		}
		d.err = nil
	})
	if allocs != 0 {
		t.Errorf("%v allocations per input, want none", allocs)
	}
}

// keyForms are the spellings the decoder translates.
var keyForms = regexp.MustCompile("\x1b(?:\\[[1478]~|O[A-Za-z])")

// modelDecode is what the decoder should make of in, computed another
// way: runs of bad bytes replaced as strings.ToValidUTF8 does, then the
// keys translated. The '~' that ends an endless escape sequence is left
// out of both sides of the comparison (see FuzzInputDecoder).
func modelDecode(in []byte, forTerm bool) string {
	s := strings.ToValidUTF8(string(in), "\uFFFD")
	if forTerm {
		s = strings.ReplaceAll(s, "\uFFFD", string(substitute))
	}
	return keyForms.ReplaceAllStringFunc(s, func(k string) string {
		switch k[len(k)-2:] {
		case "1~", "7~":
			return "\x1b[H"
		case "4~", "8~":
			return "\x1b[F"
		}
		return "\x1b[" + k[2:]
	})
}

// FuzzInputDecoder checks that the output is valid UTF-8, that it is the
// input with only bad bytes replaced and keys translated, that escape
// sequences stay short enough for x/term, and that how the input is split
// into reads, and the sizes of the buffers read into, change nothing.
func FuzzInputDecoder(f *testing.F) {
	seeds := []string{
		"hello\r",
		"start \xff\xfe \xc0\xaf \xed\xa0\x80 \xf8\x88\x80\x80\x80 end\r",
		"abc\xe2\x82\r",
		"\x1b[200~pasted \xff\xfe\x1b[201~",
		"abc\x1b[1~X\x1b[4~Y\r",
		"abc\x1bOHX\x1bOFY\r",
		"\x1b[7~\x1b[8~\x1bOA\x1bOB\x1bOC\x1bOD",
		"\x1b" + strings.Repeat("9", 200) + "\r",
		"\x1b\x1b[1~\x1bO\x1b[\x1b",
		"😀€→\xf0\x9f\x98",
		"\uFFFD\xff\uFFFD",
	}
	for i, s := range seeds {
		f.Add([]byte(s), []byte{byte(i), 3, 1, 7, 2})
	}
	f.Fuzz(func(t *testing.T, in, split []byte) {
		for _, forTerm := range []bool{false, true} {
			checkDecoder(t, in, split, forTerm)
		}
	})
}

func checkDecoder(t *testing.T, in, split []byte, forTerm bool) {
	whole := decodeAll(t, [][]byte{bytes.Clone(in)}, nil, forTerm)
	if !utf8.Valid(whole) || forTerm && bytes.Contains(whole, replacement) {
		t.Fatalf("output %q is not valid UTF-8, or holds U+FFFD for x/term", whole)
	}
	if got, want := strings.ReplaceAll(string(whole), "~", ""), strings.ReplaceAll(modelDecode(in, forTerm), "~", ""); got != want {
		t.Fatalf("decoded %q as %q, want %q", in, whole, want)
	}
	run := 0
	for _, c := range whole {
		switch {
		case run == 0 && c != 0x1b:
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '~':
			run = 0
		default:
			run++
			if run > maxEscapeRun+4 {
				t.Fatalf("an escape sequence in %q runs past %d bytes", whole, maxEscapeRun+4)
			}
		}
	}
	// Split the input where split says, and read into buffers of
	// sizes it gives too (1 to 16 bytes, or a full 256).
	var chunks [][]byte
	var sizes []int
	rest := bytes.Clone(in)
	for _, s := range split {
		n := int(s % 8)
		if n > len(rest) {
			n = len(rest)
		}
		chunks = append(chunks, rest[:n])
		rest = rest[n:]
		if s >= 0xf0 {
			sizes = append(sizes, 256)
		} else {
			sizes = append(sizes, 1+int(s>>4))
		}
	}
	chunks = append(chunks, rest)
	if got := decodeAll(t, chunks, sizes, forTerm); !bytes.Equal(got, whole) {
		t.Fatalf("decoded %q in chunks %q as %q, want %q as in one read", in, chunks, got, whole)
	}
}
