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

// isAborted is an error that says it is ErrAborted through an Is method.
type isAborted struct{}

func (isAborted) Error() string        { return "aborted, in its own words" }
func (isAborted) Is(target error) bool { return target == ErrAborted }

// isError agrees with errors.Is: equality anywhere in the tree, or an Is
// method that says so.
func TestIsErrorAgreesWithErrorsIs(t *testing.T) {
	cases := map[string]error{
		"nil":         nil,
		"bare":        ErrAborted,
		"other":       ErrFutile,
		"multi %w":    fmt.Errorf("%w: %w", ErrAborted, io.EOF),
		"deep":        errors.Join(io.EOF, fmt.Errorf("x: %w", fmt.Errorf("%w: %w", ErrFutile, ErrAborted))),
		"Is method":   fmt.Errorf("wrapped: %w", isAborted{}),
		"in an Error": &Error{Kind: KindNetwork, Err: ErrAborted},
	}
	for name, err := range cases {
		for _, target := range []error{ErrAborted, ErrFutile} {
			assert.Equal(t, errors.Is(err, target), isError(err, target), "%s, %v", name, target)
		}
	}
}
