package sshchat

// lineHistory is the terminal's input history (up and down arrows),
// bounded in lines and bytes: x/term's default keeps 100 lines of up to
// 16 KB each, which a user can fill on purpose, in every session.
type lineHistory struct {
	lines []string // oldest first
	bytes int
}

const (
	maxHistoryLines = 50
	maxHistoryBytes = 16 << 10
)

func (h *lineHistory) Add(line string) {
	if line == "" || len(line) > maxHistoryBytes/4 {
		return // an over-long line was refused anyway; not worth recalling
	}
	h.lines = append(h.lines, line)
	h.bytes += len(line)
	for len(h.lines) > maxHistoryLines || h.bytes > maxHistoryBytes {
		h.bytes -= len(h.lines[0])
		h.lines[0] = ""
		h.lines = h.lines[1:]
	}
}

func (h *lineHistory) Len() int { return len(h.lines) }

// At returns the idx-th most recent line, as x/term's History requires.
func (h *lineHistory) At(idx int) string { return h.lines[len(h.lines)-1-idx] }
