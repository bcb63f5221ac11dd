package main

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedactQuery(t *testing.T) {
	t.Parallel()
	got := redactQuery("token=s3cret&device_ids=a&Authorization=x&ping_interval=10s")
	assert.NotContains(t, got, "s3cret")
	assert.NotContains(t, got, "=x")
	assert.Contains(t, got, "device_ids=a")
	assert.Contains(t, got, "ping_interval=10s")
	assert.Equal(t, "", redactQuery(""))
	assert.True(t, strings.HasPrefix(got, "?"))
}

// TestRedactQueryNames: every credential-like name, in any case, also as
// a part of a longer name (x-api-key, client_secret, accessToken), and any
// parameter whose value is itself a query carrying one.
func TestRedactQueryNames(t *testing.T) {
	t.Parallel()
	secret := []string{"auth", "AUTH", "authorization", "bearer", "jwt", "token", "access_token", "sig", "signature",
		"key", "api_key", "apikey", "secret", "password", "x-api-key", "X-Api-Key", "xApiKey", "APIKey", "client_secret",
		"accessToken", "auth_token", "id_token", "X-Amz-Signature", "refresh-token", "user.password", "my_jwt", "api-key",
		"passwd_password", "sessionSecret", "bearer_token", "Signature"}
	for _, name := range secret {
		got := redactQuery(url.QueryEscape(name) + "=SECRETVALUE&ok=1")
		assert.NotContains(t, got, "SECRETVALUE", name)
		assert.Contains(t, got, "ok=1", name)
	}
	plain := []string{"device_ids", "ping_interval", "keepAliveInterval", "lifetime", "monkey", "signal", "keyboard",
		"author", "event_types", "close_after", "content_type", "status"}
	for _, name := range plain {
		got := redactQuery(url.QueryEscape(name) + "=visible")
		assert.Contains(t, got, "visible", name)
	}
	// A value that is itself a query (a redirect, a callback, a state)
	// carrying a credential, encoded once or more.
	for _, v := range []string{
		"/cb?token=SECRETVALUE",
		"https://example.com/next?a=1&access_token=SECRETVALUE",
		"token=SECRETVALUE",
		"a=1;jwt=SECRETVALUE",
		"/cb#access_token=SECRETVALUE",
		url.QueryEscape("/cb?x-api-key=SECRETVALUE"),
		url.QueryEscape(url.QueryEscape("https://e.example/?sig=SECRETVALUE")),
	} {
		got := redactQuery("next=" + url.QueryEscape(v) + "&ok=1")
		assert.NotContains(t, got, "SECRETVALUE", v)
		assert.Contains(t, got, "ok=1", v)
	}
	assert.Contains(t, redactQuery("next="+url.QueryEscape("/cb?page=2")), "page", "a harmless nested query stays")
}

// TestRequestLogOneLinePerRequest: a %0A in the path cannot forge a log line,
// and credentials never reach the log.
func TestRequestLogOneLinePerRequest(t *testing.T) {
	t.Parallel()
	_, ts, logs := startServerLog(t, testConfig(t))
	conn := dialRaw(t, ts, "/nope%0A2026/01/01%2000:00:00%20GET%20/forged%20200%0D?jwt=SECRET1&x-api-key=SECRET2&next=%2Fcb%3Ftoken%3DSECRET3")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "404") }, 5*time.Second, 5*time.Millisecond)
	line := logs.String()
	assert.Equal(t, 1, strings.Count(line, "\n"), "one request, one line:\n%s", line)
	assert.NotContains(t, line, "\r")
	assert.Contains(t, line, `/nope\n2026/01/01 00:00:00 GET /forged 200\r`, "the path is quoted")
	for _, s := range []string{"SECRET1", "SECRET2", "SECRET3"} {
		assert.NotContains(t, line, s)
	}
}
