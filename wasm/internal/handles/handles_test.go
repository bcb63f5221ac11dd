package handles

import (
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddGetRemove(t *testing.T) {
	var tb Table[string]
	a, b := tb.Add("a"), tb.Add("b")
	assert.NotEqual(t, a, b)
	assert.Positive(t, a)
	v, ok := tb.Get(a)
	assert.True(t, ok)
	assert.Equal(t, "a", v)
	assert.Equal(t, 2, tb.Len())

	v, ok = tb.Remove(a)
	assert.True(t, ok)
	assert.Equal(t, "a", v)
	_, ok = tb.Remove(a)
	assert.False(t, ok, "a handle is removed once")
	_, ok = tb.Get(a)
	assert.False(t, ok)
	assert.Equal(t, 1, tb.Len())
	_, ok = tb.Get(0)
	assert.False(t, ok, "0 is never a handle")
}

// Handles wrap within the int32 range and skip those still in use.
func TestHandlesStayInt32AndUnique(t *testing.T) {
	var tb Table[int]
	tb.last = math.MaxInt32 - 1
	h1 := tb.Add(1)
	assert.Equal(t, math.MaxInt32, h1)
	tb.last = 0
	h0 := tb.Add(0)
	assert.Equal(t, 1, h0)
	tb.last = math.MaxInt32 - 1
	h2 := tb.Add(2)
	assert.Equal(t, 2, h2, "MaxInt32 and 1 are in use: the next free handle")
}

func TestConcurrentAddsGetDistinctHandles(t *testing.T) {
	var tb Table[int]
	var wg sync.WaitGroup
	got := make([][]int, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				got[g] = append(got[g], tb.Add(i))
			}
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, hs := range got {
		for _, h := range hs {
			require.False(t, seen[h], "handle %d given twice", h)
			seen[h] = true
		}
	}
	assert.Equal(t, 2000, tb.Len())
}
