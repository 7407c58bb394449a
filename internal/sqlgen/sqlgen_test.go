package sqlgen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRenderingIsDeterministic: "make check-generated" compares the
// rendered files with git's, so a renderer whose output depended on map
// order or the clock would fail it at random.
func TestRenderingIsDeterministic(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Files {
		require.False(t, seen[f.Path], "%s is listed twice", f.Path)
		seen[f.Path] = true
		first, err := f.Render()
		require.NoError(t, err, f.Path)
		require.NotEmpty(t, first, f.Path)
		for range 5 {
			again, err := f.Render()
			require.NoError(t, err, f.Path)
			assert.Equal(t, first, again, "%s renders differently each time", f.Path)
		}
	}
}

// TestGeneratedFilesSayHowToRegenerate: each file tells its reader not to
// edit it and which command rewrites it.
func TestGeneratedFilesSayHowToRegenerate(t *testing.T) {
	for _, f := range Files {
		text, err := f.Render()
		require.NoError(t, err, f.Path)
		head := text[:min(len(text), 600)]
		assert.Contains(t, head, "GENERATED", f.Path)
		assert.Contains(t, head, "do not edit", f.Path)
		assert.Contains(t, head, "make generate", f.Path)
	}
}
