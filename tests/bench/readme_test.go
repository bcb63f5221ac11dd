//go:build !js

package bench

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeSection replaces one generated section of README.md, the text
// between the lines <!-- bench:NAME --> and <!-- /bench:NAME -->, with body
// under a line saying which command wrote it: test, in mode (SSESHIM_BENCH).
// The README's other sections and its hand-written text stay as they are.
// Only measuring runs call it (make bench, make bench-quick), never make
// test's smoke runs.
func readmeSection(t *testing.T, name, mode, test, body string) {
	t.Helper()
	const file = "README.md"
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	text := string(b)
	begin, end := "<!-- bench:"+name+" -->\n", "<!-- /bench:"+name+" -->"
	i, j := strings.Index(text, begin), strings.Index(text, end)
	require.True(t, i >= 0 && j > i, "%s has the markers of its %q section", file, name)
	target := map[string]string{"full": "make bench", "quick": "make bench-quick"}[mode]
	body = fmt.Sprintf("Written by `%s`: `SSESHIM_BENCH=%s go test -count=1 -run '^%s$' -v ./tests/bench`.\n\n%s\n\n",
		target, mode, test, strings.TrimSpace(body))
	text = text[:i+len(begin)] + body + text[j:]
	require.NoError(t, os.WriteFile(file, []byte(text), 0o644))
}
