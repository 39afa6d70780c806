package sshchat

import "testing"

func TestCompleteName(t *testing.T) {
	names := func(string) []string { return []string{"alice", "Albert", "bob", "bobby"} }
	tests := []struct {
		line    string
		want    string
		wantPos int
		ok      bool
	}{
		{"bo", "bob", 3, true},              // common prefix of bob, bobby
		{"ca", "", 0, false},                // no match
		{"ali", "alice: ", 7, true},         // addressing at the start
		{"hi @ali", "hi @alice ", 10, true}, // a mention
		{"/bobb", "/bobby ", 7, true},       // private message
		{"hi AL", "hi al", 5, true},         // alice and Albert share "al"
		{"hi ", "", 0, false},               // nothing to complete
	}
	for _, tt := range tests {
		got, pos, ok := completeName(names, tt.line, len(tt.line), '\t')
		if ok != tt.ok || (ok && (got != tt.want || pos != tt.wantPos)) {
			t.Errorf("complete(%q) = %q, %d, %v; want %q, %d, %v", tt.line, got, pos, ok, tt.want, tt.wantPos, tt.ok)
		}
	}
	if _, _, ok := completeName(names, "bo", 2, 'x'); ok {
		t.Error("completed on a key other than Tab")
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		text, name string
		want       bool
	}{
		{"hi @bob", "bob", true},
		{"hi @BOB!", "bob", true},
		{"@bob, look", "bob", true},
		{"hi @bobby", "bob", false},
		{"hi bob", "bob", false},
		{"mail me at x@bob.com", "bob", false},
		{"@al @alice", "alice", true},
		{"@", "bob", false},
	}
	for _, tt := range tests {
		if got := mentions(tt.text, tt.name); got != tt.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tt.text, tt.name, got, tt.want)
		}
	}
}
