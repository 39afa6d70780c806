package sshchat

// editHistory is the line editor's history of what the user typed (up and down arrows),
// bounded in lines and bytes: x/term's default keeps 100 lines of up to
// 16 KB each, which a user can fill on purpose, in every session.
type editHistory struct {
	lines []string // oldest first
	bytes int
}

const (
	maxEditHistoryLines = 50
	maxEditHistoryBytes = 16 << 10
)

func (h *editHistory) Add(line string) {
	if line == "" || len(line) > maxEditHistoryBytes/4 {
		return // an over-long line was refused anyway; not worth recalling
	}
	h.lines = append(h.lines, line)
	h.bytes += len(line)
	for len(h.lines) > maxEditHistoryLines || h.bytes > maxEditHistoryBytes {
		h.bytes -= len(h.lines[0])
		h.lines[0] = ""
		h.lines = h.lines[1:]
	}
}

func (h *editHistory) Len() int { return len(h.lines) }

// At returns the idx-th most recent line, as x/term's History requires.
func (h *editHistory) At(idx int) string { return h.lines[len(h.lines)-1-idx] }
