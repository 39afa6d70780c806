package chatlog

import "testing"

func TestMatcherIgnoresCaseAndAccents(t *testing.T) {
	cases := []struct {
		words []string
		text  string
		want  bool
	}{
		{[]string{"joão"}, "JOAO was here", true},
		{[]string{"joao"}, "olá João", true},
		{[]string{"JOÃO"}, "joao", true},
		{[]string{"straße"}, "STRASSE", true},
		{[]string{"café", "noir"}, "un CAFE NOIR", true},
		{[]string{"café", "lait"}, "un café noir", false},
		{[]string{"ñ"}, "Año", true},
		{nil, "anything", true},
		{[]string{"  "}, "anything", true},
		{[]string{"x"}, "", false},
	}
	for _, c := range cases {
		if got := NewMatcher(c.words).Match(c.text); got != c.want {
			t.Errorf("NewMatcher(%q).Match(%q) = %v, want %v", c.words, c.text, got, c.want)
		}
	}
}

func TestFold(t *testing.T) {
	if a, b := Fold("JOÃO"), Fold("joao"); a != b {
		t.Fatalf("Fold(JOÃO) = %q, Fold(joao) = %q", a, b)
	}
}
