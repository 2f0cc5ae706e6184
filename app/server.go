package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Server timeouts. nginx (same task) is the only client: it closes idle
// upstream keep-alive connections after 60 s, before IdleTimeout, so the app
// never closes a connection nginx is about to reuse.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 10 * time.Second
	idleTimeout       = 90 * time.Second
	maxHeaderBytes    = 64 << 10

	// drainPollInterval is how often a draining server looks for its last
	// connection to close.
	drainPollInterval = 5 * time.Millisecond
)

// newHandler serves /health and, on every other path, the version string.
func newHandler(version string) http.Handler {
	body := []byte(version + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, []byte("ok\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, body)
	})
	return mux
}

func writeText(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// server is an http.Server that knows its open connections, so that it can
// drain them without racing its clients (see serve).
type server struct {
	*http.Server
	draining atomic.Bool

	mu    sync.Mutex
	conns map[net.Conn]http.ConnState
}

// newServer wraps h with request logging and sets every server timeout.
func newServer(h http.Handler, log *logger) *server {
	s := &server{conns: make(map[net.Conn]http.ConnState)}
	s.Server = &http.Server{
		Handler:           logRequests(s.closeWhenDraining(h), log),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         s.track,
	}
	return s
}

func (s *server) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateHijacked, http.StateClosed:
		delete(s.conns, c)
	default:
		s.conns[c] = st
	}
}

// counts returns the number of open connections and of those mid-request.
func (s *server) counts() (open, active int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.conns {
		if st == http.StateActive {
			active++
		}
	}
	return len(s.conns), active
}

// closeWhenDraining makes every response whose header is written after
// draining began carry "Connection: close": the server then closes that
// connection after the response, and the client knows not to reuse it.
func (s *server) closeWhenDraining(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&drainWriter{ResponseWriter: w, draining: &s.draining}, r)
	})
}

type drainWriter struct {
	http.ResponseWriter
	draining    *atomic.Bool
	wroteHeader bool
}

func (w *drainWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		if w.draining.Load() {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *drainWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// statusWriter records the status code and body size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += n
	return n, err
}

// logRequests writes one JSON line per request once it has been answered.
func logRequests(next http.Handler, log *logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		log.Info("request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", sw.status,
			"duration_ms", float64(elapsed.Microseconds())/1000,
			"bytes", sw.bytes,
			"request_id", r.Header.Get("X-Request-Id"),
			"remote_addr", r.RemoteAddr)
	})
}

// serve runs srv on ln until a signal arrives on stop, then drains:
//
//   - the listener closes at once, so new connections are refused;
//   - requests in flight finish; every response from now on carries
//     "Connection: close", so clients (nginx) close their kept-alive
//     connections themselves after using them;
//   - serve returns nil as soon as no connection is left open.
//
// The server never closes an idle keep-alive connection early: a client may be
// sending a request on it at that very moment, and that request would be lost
// (net/http's Shutdown has exactly this race). Only when grace runs out, or a
// second signal arrives, are the remaining connections closed; serve then
// returns an error if a request was still being served.
func serve(srv *server, ln net.Listener, stop <-chan os.Signal, grace time.Duration, log *logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var sig os.Signal
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case sig = <-stop:
	}

	begin := time.Now()
	srv.draining.Store(true)
	_ = ln.Close()
	<-errc // Serve returns once the listener is closed; open connections live on.
	open, active := srv.counts()
	log.Info("shutdown started",
		"signal", sig.String(),
		"grace_period", grace.String(),
		"open_connections", open,
		"active_requests", active)

	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(drainPollInterval)
	defer tick.Stop()
drain:
	for open > 0 {
		select {
		case <-tick.C:
			open, _ = srv.counts()
		case s := <-stop:
			log.Error("second signal, closing connections now", "signal", s.String())
			break drain
		case <-deadline.C:
			break drain
		}
	}

	elapsed := float64(time.Since(begin).Microseconds()) / 1000
	open, active = srv.counts()
	_ = srv.Close()
	if active > 0 {
		return fmt.Errorf("%d request(s) still in flight after %.0f ms were cut off", active, elapsed)
	}
	log.Info("shutdown complete", "duration_ms", elapsed, "idle_connections_closed", open)
	return nil
}
