package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A real Mosquitto as the external broker (-mqtt). tests/install-deps.sh
// (make deps, make test) installs Debian's mosquitto and mosquitto-clients
// when they are missing; without them these tests skip, except under CI,
// where they fail.

// mosquittoBins finds mosquitto and mosquitto_pub.
func mosquittoBins(t *testing.T) (broker, pub string) {
	t.Helper()
	find := func(name string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin"} {
			if p := filepath.Join(dir, name); fileExists(p) {
				return p
			}
		}
		return ""
	}
	broker, pub = find("mosquitto"), find("mosquitto_pub")
	if broker == "" || pub == "" {
		msg := "mosquitto and mosquitto_pub are needed (Debian: apt-get install mosquitto mosquitto-clients; make deps does it)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI requires them")
		}
		t.Skip(msg)
	}
	return broker, pub
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// mosquitto is a broker the test runs on a free loopback port, with its
// configuration in a temporary directory, and stops by its PID.
type mosquitto struct {
	t    *testing.T
	bin  string
	conf string
	addr string

	mu  sync.Mutex
	cmd *exec.Cmd
	out bytes.Buffer
}

func newMosquitto(t *testing.T) *mosquitto {
	t.Helper()
	bin, _ := mosquittoBins(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	// Started as root, mosquitto drops to its own user before it reads a
	// password file: let it into the directory.
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	conf := filepath.Join(dir, "mosquitto.conf")
	require.NoError(t, os.WriteFile(conf, []byte("listener "+port+" 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n"), 0o644))
	m := &mosquitto{t: t, bin: bin, conf: conf, addr: addr}
	t.Cleanup(m.stop)
	return m
}

// start runs the broker and waits until it accepts connections.
func (m *mosquitto) start() {
	m.t.Helper()
	m.mu.Lock()
	cmd := exec.Command(m.bin, "-c", m.conf)
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &m.mu, w: &m.out}, &lockedWriter{mu: &m.mu, w: &m.out}
	require.NoError(m.t, cmd.Start())
	m.cmd = cmd
	m.mu.Unlock()
	require.Eventually(m.t, func() bool {
		c, err := net.DialTimeout("tcp", m.addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "mosquitto listens on %s", m.addr)
}

// stop ends the broker (SIGTERM, then SIGKILL) and waits for it.
func (m *mosquitto) stop() {
	m.mu.Lock()
	cmd := m.cmd
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// pub runs the README's recipe: mosquitto_pub -t TOPIC -m MESSAGE.
func (m *mosquitto) pub(topic, message string) {
	m.t.Helper()
	_, pub := mosquittoBins(m.t)
	host, port, _ := net.SplitHostPort(m.addr)
	out, err := exec.Command(pub, "-h", host, "-p", port, "-t", topic, "-m", message).CombinedOutput()
	require.NoError(m.t, err, "%s", out)
}

// streamLines reads an SSE response line by line, comments included.
func streamLines(t *testing.T, resp *http.Response) <-chan string {
	t.Helper()
	require.Equal(t, 200, resp.StatusCode)
	ch := make(chan string, 10000)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// waitLine waits for a line that ok accepts; the stream must stay open.
func waitLine(t *testing.T, lines <-chan string, within time.Duration, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, open := <-lines:
			require.True(t, open, "the stream stayed open (waiting for %s)", what)
			if ok(l) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s within %s", what, within)
		}
	}
}

// messageIs accepts the data line of an mqttMessage carrying that message.
func messageIs(topic, message string) func(string) bool {
	return func(l string) bool {
		d, ok := strings.CutPrefix(l, "data: ")
		if !ok {
			return false
		}
		var m struct{ Topic, Message string }
		return json.Unmarshal([]byte(d), &m) == nil && m.Topic == topic && m.Message == message
	}
}

func publishStatus(t *testing.T, base, topic, body string) int {
	t.Helper()
	res, err := http.Post(base+"/api/publish/"+topic, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}

// TestMosquittoAsExternalBroker: with -mqtt the server's simulated device and
// a developer's mosquitto_pub both reach an Experience stream through a real
// Mosquitto. The broker then restarts while the stream is open: the stream
// stays open and says so in comments, the log says so, publishing answers
// 503 meanwhile, and messages published after the broker is back arrive.
func TestMosquittoAsExternalBroker(t *testing.T) {
	t.Parallel()
	m := newMosquitto(t)
	m.start()
	cfg := testConfig(t)
	cfg.speed = 5
	cfg.mqttURL = "tcp://" + m.addr
	cfg.simDevices = "generator-1"
	s, ts, logs := startServerLog(t, cfg)
	require.True(t, s.mqtt.external)

	lines := streamLines(t, get(t, ts, "/api/stream/devices/generator-1", nil))
	waitLine(t, lines, 10*time.Second, "the simulated device's state through mosquitto", func(l string) bool {
		return strings.HasPrefix(l, "data: ") && strings.Contains(l, `\"temperature\"`)
	})
	m.pub("losant/generator-1/state", `{"data":{"temperature":99}}`)
	waitLine(t, lines, 5*time.Second, "the message from mosquitto_pub", messageIs("losant/generator-1/state", `{"data":{"temperature":99}}`))

	m.stop()
	waitLine(t, lines, 10*time.Second, "a comment that the broker is gone", func(l string) bool {
		return strings.HasPrefix(l, ": mqtt: lost the broker tcp://"+m.addr)
	})
	assert.Equal(t, http.StatusServiceUnavailable, publishStatus(t, ts.URL, "losant/generator-1/state", `{}`),
		"publishing while the broker is away")

	m.start()
	waitLine(t, lines, 20*time.Second, "a comment that the broker is back", func(l string) bool {
		return strings.HasPrefix(l, ": mqtt: connected to the broker tcp://"+m.addr+" again")
	})
	m.pub("losant/generator-1/state", `{"data":{"temperature":100}}`)
	waitLine(t, lines, 5*time.Second, "a message published after the restart", messageIs("losant/generator-1/state", `{"data":{"temperature":100}}`))
	require.Equal(t, http.StatusOK, publishStatus(t, ts.URL, "losant/generator-1/state", `{"data":{"temperature":101}}`))
	waitLine(t, lines, 5*time.Second, "a message published through the server", messageIs("losant/generator-1/state", `{"data":{"temperature":101}}`))

	log := logs.String()
	assert.Contains(t, log, "mqtt: lost the broker")
	assert.Contains(t, log, "mqtt: connected to the broker tcp://"+m.addr+" again")
}

// TestMosquittoNotUpYet: a stream opened before the external broker is
// reachable says so, stays open, and relays messages once the server has
// connected (retrying with backoff).
func TestMosquittoNotUpYet(t *testing.T) {
	t.Parallel()
	m := newMosquitto(t)
	cfg := testConfig(t)
	cfg.mqttURL = "tcp://" + m.addr
	_, ts, logs := startServerLog(t, cfg)
	lines := streamLines(t, get(t, ts, "/api/stream/topics/plant/alarms", nil))
	waitLine(t, lines, 5*time.Second, "a comment that the broker is unreachable", func(l string) bool {
		return strings.HasPrefix(l, ": mqtt: "+errBrokerDown.Error())
	})
	m.start()
	waitLine(t, lines, 20*time.Second, "a comment that the broker is connected", func(l string) bool {
		return strings.HasPrefix(l, ": mqtt: connected to the broker")
	})
	m.pub("plant/alarms", "free text")
	waitLine(t, lines, 5*time.Second, "the message", messageIs("plant/alarms", "free text"))
	assert.Contains(t, logs.String(), "mqtt: cannot reach the broker tcp://"+m.addr)
	assert.Contains(t, logs.String(), "retrying in", "with backoff")
}

// TestMosquittoCredentials: -mqtt-user and -mqtt-pass reach a broker that
// requires them; wrong ones are refused, said in the log, and retried.
func TestMosquittoCredentials(t *testing.T) {
	t.Parallel()
	m := newMosquitto(t)
	passwd, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		passwd = "/usr/bin/mosquitto_passwd"
	}
	file := filepath.Join(filepath.Dir(m.conf), "passwords")
	out, err := exec.Command(passwd, "-b", "-c", file, "dev", "s3cret").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.Chmod(file, 0o644))
	conf, err := os.ReadFile(m.conf)
	require.NoError(t, err)
	conf = []byte(strings.Replace(string(conf), "allow_anonymous true", "allow_anonymous false\npassword_file "+file, 1))
	require.NoError(t, os.WriteFile(m.conf, conf, 0o644))
	m.start()

	cfg := testConfig(t)
	cfg.mqttURL, cfg.mqttUser, cfg.mqttPass = "tcp://"+m.addr, "dev", "wrong"
	_, _, logs := startServerLog(t, cfg)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "mqtt: cannot reach the broker") }, 10*time.Second, 20*time.Millisecond)
	assert.NotContains(t, logs.String(), "wrong", "the password is never logged")

	cfg.mqttPass = "s3cret"
	_, ts, logs := startServerLog(t, cfg)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "mqtt: connected to the broker") }, 10*time.Second, 20*time.Millisecond)
	lines := streamLines(t, get(t, ts, "/api/stream/topics/secure/topic", nil))
	m.pubAs("dev", "s3cret", "secure/topic", "hello")
	waitLine(t, lines, 5*time.Second, "the message", messageIs("secure/topic", "hello"))
}

// pubAs is pub with credentials.
func (m *mosquitto) pubAs(user, pass, topic, message string) {
	m.t.Helper()
	_, pub := mosquittoBins(m.t)
	host, port, _ := net.SplitHostPort(m.addr)
	out, err := exec.Command(pub, "-h", host, "-p", port, "-u", user, "-P", pass, "-t", topic, "-m", message).CombinedOutput()
	require.NoError(m.t, err, "%s", out)
}
