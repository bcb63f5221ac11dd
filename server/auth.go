package main

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// The credential checks the mocks share. Which credentials a service
// accepts, and where, is the service's own rule and lives in its file.

// tokenOK tells whether tok is the configured token, in constant time.
func (s *server) tokenOK(tok string) bool {
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.token)) == 1
}

// basicOK tells whether the request carries HTTP Basic credentials, and
// whether they are the configured user and password.
func (s *server) basicOK(r *http.Request) (present, ok bool) {
	u, p, present := r.BasicAuth()
	if !present {
		return false, false
	}
	return true, subtle.ConstantTimeCompare([]byte(u), []byte(s.cfg.basicUser)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(s.cfg.basicPass)) == 1
}

// bearer is the token of an Authorization: Bearer header, or "".
func bearer(r *http.Request) string {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}
