package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines decodes every line of out as a JSON object.
func logLines(t *testing.T, out string) []map[string]interface{} {
	t.Helper()
	var lines []map[string]interface{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]interface{}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return lines
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRoutes(t *testing.T) {
	h := newHandler("v42")
	cases := []struct {
		method, path, want string
	}{
		{"GET", "/health", "ok\n"},
		{"GET", "/", "v42\n"},
		{"GET", "/some/other/path", "v42\n"},
		{"GET", "/health/extra", "v42\n"},
		{"POST", "/", "v42\n"},
		{"HEAD", "/health", ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("%s %s: status %d, want 200", c.method, c.path, rec.Code)
		}
		if c.method != "HEAD" && rec.Body.String() != c.want {
			t.Errorf("%s %s: body %q, want %q", c.method, c.path, rec.Body.String(), c.want)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
	}

	rec := httptest.NewRecorder()
	newHandler("").ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Body.String() != "\n" {
		t.Errorf("empty VERSION: body %q, want a bare newline", rec.Body.String())
	}
}

func TestServerTimeoutsAreSet(t *testing.T) {
	srv := newServer(newHandler("x"), newLogger(io.Discard))
	for name, got := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout,
		"ReadTimeout":       srv.ReadTimeout,
		"WriteTimeout":      srv.WriteTimeout,
		"IdleTimeout":       srv.IdleTimeout,
	} {
		if got <= 0 {
			t.Errorf("%s is not set", name)
		}
	}
	if srv.ReadHeaderTimeout > srv.ReadTimeout {
		t.Errorf("ReadHeaderTimeout %v exceeds ReadTimeout %v", srv.ReadHeaderTimeout, srv.ReadTimeout)
	}
	// nginx's upstream keepalive_timeout is 60 s: the app must idle longer.
	if srv.IdleTimeout <= 60*time.Second {
		t.Errorf("IdleTimeout %v must exceed nginx's upstream keepalive_timeout (60s)", srv.IdleTimeout)
	}
	if srv.MaxHeaderBytes <= 0 {
		t.Error("MaxHeaderBytes is not set")
	}
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != "8080" || cfg.ShutdownGrace != 10*time.Second || cfg.Version != "" {
		t.Errorf("defaults: got %+v", cfg)
	}

	cfg, err = loadConfig(env(map[string]string{"PORT": "9000", "VERSION": "abc1234", "SHUTDOWN_GRACE_PERIOD": "1m30s"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != "9000" || cfg.Version != "abc1234" || cfg.ShutdownGrace != 90*time.Second {
		t.Errorf("explicit: got %+v", cfg)
	}

	for _, bad := range []map[string]string{
		{"PORT": "http"},
		{"PORT": "0"},
		{"PORT": "65536"},
		{"SHUTDOWN_GRACE_PERIOD": "10"},
		{"SHUTDOWN_GRACE_PERIOD": "-1s"},
	} {
		if _, err := loadConfig(env(bad)); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

func TestRequestLogLine(t *testing.T) {
	var out syncBuffer
	srv := newServer(newHandler("v1"), newLogger(&out))
	req := httptest.NewRequest("GET", "/a/b?q=1", nil)
	req.Header.Set("X-Request-Id", "req-123")
	srv.Handler.ServeHTTP(httptest.NewRecorder(), req)

	lines := logLines(t, out.String())
	if len(lines) != 1 {
		t.Fatalf("want 1 log line, got %d: %s", len(lines), out.String())
	}
	l := lines[0]
	for k, want := range map[string]interface{}{
		"level": "info", "msg": "request", "method": "GET", "path": "/a/b",
		"status": 200.0, "bytes": 3.0, "request_id": "req-123",
	} {
		if l[k] != want {
			t.Errorf("log field %s = %v, want %v", k, l[k], want)
		}
	}
	if _, ok := l["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms missing or not a number: %v", l["duration_ms"])
	}
	if _, err := time.Parse(time.RFC3339Nano, l["time"].(string)); err != nil {
		t.Errorf("time: %v", err)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func portOf(ln net.Listener) string {
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func TestHealthcheckFlag(t *testing.T) {
	// A running app: exit 0.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(newHandler("v1"), newLogger(io.Discard))
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	var stderr bytes.Buffer
	if code := run([]string{"-healthcheck"}, env(map[string]string{"PORT": portOf(ln)}), io.Discard, &stderr, nil); code != 0 {
		t.Errorf("healthcheck against a running app: exit %d (%s)", code, stderr.String())
	}

	// Nothing listening: exit 1.
	stderr.Reset()
	if code := run([]string{"-healthcheck"}, env(map[string]string{"PORT": freePort(t)}), io.Discard, &stderr, nil); code != 1 {
		t.Errorf("healthcheck against a dead port: exit %d, want 1", code)
	}

	// Listening but unhealthy: exit 1.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer bad.Close()
	badPort := strconv.Itoa(bad.Listener.Addr().(*net.TCPAddr).Port)
	if code := run([]string{"-healthcheck"}, env(map[string]string{"PORT": badPort}), io.Discard, io.Discard, nil); code != 1 {
		t.Errorf("healthcheck against a 503: exit %d, want 1", code)
	}

	// Accepts but never answers: the probe times out instead of hanging.
	hang, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	start := time.Now()
	if err := probe(portOf(hang), 200*time.Millisecond); err == nil {
		t.Error("probe of a silent server: want an error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("probe took %v despite a 200ms timeout", d)
	}
}

func TestExitsNonZeroWhenPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var out syncBuffer
	code := run(nil, env(map[string]string{"PORT": portOf(taken)}), &out, io.Discard, make(chan os.Signal))
	if code == 0 {
		t.Fatal("run returned 0 although the port was taken")
	}
	lines := logLines(t, out.String())
	if len(lines) != 1 || lines[0]["level"] != "error" || lines[0]["msg"] != "cannot listen" {
		t.Errorf("want one JSON error line, got %s", out.String())
	}
}

func TestInvalidConfigExitsNonZero(t *testing.T) {
	var out syncBuffer
	if code := run(nil, env(map[string]string{"SHUTDOWN_GRACE_PERIOD": "soon"}), &out, io.Discard, nil); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), "SHUTDOWN_GRACE_PERIOD") {
		t.Errorf("log does not name the setting: %s", out.String())
	}
}

// gate is a handler that blocks each request until released.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.entered <- struct{}{}
	<-g.release
	writeText(w, []byte("slow\n"))
}

func TestGracefulShutdown(t *testing.T) {
	g := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	var out syncBuffer
	log := newLogger(&out)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	stop := make(chan os.Signal, 2)
	done := make(chan error, 1)
	go func() { done <- serve(newServer(g, log), ln, stop, 5*time.Second, log) }()

	// An in-flight request.
	type result struct {
		body  string
		close bool
		err   error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := keepAliveClient().Get("http://" + addr + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{body: string(b), close: resp.Close, err: err}
	}()
	select {
	case <-g.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("slow request never reached the handler")
	}

	stop <- syscall.SIGTERM

	// New connections are refused once shutdown has begun.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := net.DialTimeout("tcp4", addr, 200*time.Millisecond)
		if errors.Is(err, syscall.ECONNREFUSED) {
			break
		}
		// A connection still in the accept queue when the listener closes is
		// reset; anything else is unexpected.
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("dial after shutdown: %v, want connection refused", err)
		}
		if c != nil {
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections 2s after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// serve must wait for the in-flight request.
	select {
	case err := <-done:
		t.Fatalf("serve returned (%v) while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}

	close(g.release)
	r := <-slow
	if r.err != nil || r.body != "slow\n" {
		t.Fatalf("in-flight request: body %q, err %v", r.body, r.err)
	}
	if !r.close {
		t.Error("a response written while draining must carry Connection: close")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the last request finished")
	}

	var msgs []string
	for _, l := range logLines(t, out.String()) {
		msgs = append(msgs, l["msg"].(string))
	}
	want := "shutdown started,request,shutdown complete"
	if got := strings.Join(msgs, ","); got != want {
		t.Errorf("log messages %q, want %q", got, want)
	}
}

func TestShutdownGraceExpires(t *testing.T) {
	g := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	defer close(g.release)
	log := newLogger(io.Discard)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan os.Signal, 2)
	done := make(chan error, 1)
	go func() { done <- serve(newServer(g, log), ln, stop, 200*time.Millisecond, log) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-g.entered
	stop <- syscall.SIGTERM
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("serve returned nil although a request outlived the grace period")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not give up after the grace period")
	}
}

// keepAliveClient keeps one idle connection to the server between requests.
func keepAliveClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
}

func getBody(t *testing.T, c *http.Client, url string) *http.Response {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// A client that kept a connection alive from before SIGTERM can still use
// it: the server does not close it under the client's feet, answers with
// Connection: close, and finishes draining as soon as that connection closes.
func TestDrainLetsKeptAliveConnectionsFinish(t *testing.T) {
	var out syncBuffer
	log := newLogger(&out)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/"
	stop := make(chan os.Signal, 2)
	done := make(chan error, 1)
	go func() { done <- serve(newServer(newHandler("v1"), log), ln, stop, 5*time.Second, log) }()

	client := keepAliveClient()
	if resp := getBody(t, client, url); resp.Close {
		t.Fatal("connection closed before shutdown")
	}
	stop <- syscall.SIGTERM
	time.Sleep(50 * time.Millisecond) // the idle connection survives the start of the drain
	select {
	case err := <-done:
		t.Fatalf("serve returned (%v) while a kept-alive connection was open", err)
	default:
	}

	resp := getBody(t, client, url) // on the kept-alive connection
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Fatalf("after SIGTERM: status %d, Connection: close %v; want 200 and close", resp.StatusCode, resp.Close)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("serve did not return once the last connection closed")
	}
}

// An idle connection that its client never uses again is closed when the
// grace period ends; that is not an error: no request was cut off.
func TestDrainClosesUnusedIdleConnectionsAtGrace(t *testing.T) {
	var out syncBuffer
	log := newLogger(&out)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan os.Signal, 2)
	done := make(chan error, 1)
	go func() { done <- serve(newServer(newHandler("v1"), log), ln, stop, 300*time.Millisecond, log) }()

	getBody(t, keepAliveClient(), "http://"+ln.Addr().String()+"/")
	begin := time.Now()
	stop <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after the grace period")
	}
	if d := time.Since(begin); d < 250*time.Millisecond {
		t.Errorf("idle connection closed after %v, before the grace period", d)
	}
	lines := logLines(t, out.String())
	last := lines[len(lines)-1]
	if last["msg"] != "shutdown complete" || last["idle_connections_closed"] != 1.0 {
		t.Errorf("last log line %v", last)
	}
}

// A second signal ends the drain at once.
func TestSecondSignalStopsDrain(t *testing.T) {
	g := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	defer close(g.release)
	log := newLogger(io.Discard)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan os.Signal, 2)
	done := make(chan error, 1)
	go func() { done <- serve(newServer(g, log), ln, stop, time.Minute, log) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-g.entered
	stop <- syscall.SIGTERM
	time.Sleep(50 * time.Millisecond)
	stop <- syscall.SIGINT
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("serve returned nil although a request was cut off")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not end the drain")
	}
}
