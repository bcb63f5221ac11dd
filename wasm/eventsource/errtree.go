package eventsource

import "strconv"

// FindError returns the first error in err's tree for which match is true,
// or nil. It walks the tree as errors.As does: err itself, then what its
// Unwrap() error or Unwrap() []error returns, depth first. The engine tells
// its errors apart with it rather than with errors.As, whose reflection
// (internal/reflectlite's assignability checks) would otherwise enter the
// wasm binary for two type tests.
func FindError(err error, match func(error) bool) error {
	for err != nil {
		if match(err) {
			return err
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if found := FindError(e, match); found != nil {
					return found
				}
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// AsError returns the first *Error in err's tree, or nil.
func AsError(err error) *Error {
	found := FindError(err, func(e error) bool { _, ok := e.(*Error); return ok })
	if found == nil {
		return nil
	}
	return found.(*Error)
}

// isError reports whether target is in err's tree, as errors.Is does: an
// error equal to it, or one whose Is(error) bool method says so. (errors.Is
// would bring its reflection, for targets that are not comparable, into the
// wasm binary; the engine's targets are its own sentinel errors.) Not
// inlined, so that its closure is compiled once, not at every caller.
//
//go:noinline
func isError(err, target error) bool {
	return FindError(err, func(e error) bool {
		if e == target {
			return true
		}
		x, ok := e.(interface{ Is(error) bool })
		return ok && x.Is(target)
	}) != nil
}

// quote is strconv.Quote, for messages that show a value as it was given.
// Not inlined: strconv.Quote's body would be compiled into every message's
// function.
//
//go:noinline
func quote(s string) string { return strconv.Quote(s) }
