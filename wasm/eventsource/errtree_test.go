package eventsource

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

// FindError walks the same tree as errors.As: single and multiple wrapping,
// depth first, the first match winning.
func TestFindErrorWalksLikeErrorsAs(t *testing.T) {
	first := &Error{Kind: KindNetwork, Message: "first"}
	second := &Error{Kind: KindServer, Message: "second"}
	cases := map[string]error{
		"nil":            nil,
		"bare":           first,
		"unrelated":      io.EOF,
		"wrapped":        fmt.Errorf("outer: %w", first),
		"twice wrapped":  fmt.Errorf("a: %w", fmt.Errorf("b: %w", first)),
		"joined":         errors.Join(io.EOF, first, second),
		"multi %w":       fmt.Errorf("%w: %w", ErrAborted, fmt.Errorf("in: %w", second)),
		"deep first":     errors.Join(fmt.Errorf("x: %w", errors.Join(io.EOF, second)), first),
		"none in a tree": errors.Join(io.EOF, fmt.Errorf("%w: %w", ErrAborted, io.ErrUnexpectedEOF)),
		"Error wrapping": &Error{Kind: KindBody, Err: first},
	}
	for name, err := range cases {
		t.Run(name, func(t *testing.T) {
			var want *Error
			if !errors.As(err, &want) {
				want = nil
			}
			assert.Same(t, want, AsError(err))
		})
	}
}

func TestFindErrorMatch(t *testing.T) {
	err := fmt.Errorf("%w: %w", ErrAborted, io.EOF)
	assert.Same(t, io.EOF, FindError(err, func(e error) bool { return e == io.EOF }))
	assert.Nil(t, FindError(err, func(e error) bool { return e == io.ErrClosedPipe }))
}
