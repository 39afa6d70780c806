package sshchat

import (
	"strings"
	"testing"
)

func TestLineHistoryIsBounded(t *testing.T) {
	var h editHistory
	for i := range 200 {
		h.Add(strings.Repeat("x", 1000) + string(rune('a'+i%26)))
	}
	if h.bytes > maxEditHistoryBytes || h.Len() > maxEditHistoryLines {
		t.Fatalf("%d lines, %d bytes kept", h.Len(), h.bytes)
	}
	if got := h.At(0); !strings.HasSuffix(got, string(rune('a'+199%26))) {
		t.Errorf("most recent is %q…", got[len(got)-1:])
	}
	h.Add(strings.Repeat("y", maxEditHistoryBytes)) // over a quarter of the cap: not kept
	if strings.HasPrefix(h.At(0), "y") {
		t.Error("a huge line was kept")
	}
}
