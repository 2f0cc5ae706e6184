// Command app is the web workload of the ECS blue/green service.
//
// GET /health answers "ok"; every other path answers the value of VERSION.
// It listens on 0.0.0.0:$PORT, writes one JSON log line per request and per
// lifecycle event to stdout, and drains in-flight requests on SIGTERM/SIGINT
// within SHUTDOWN_GRACE_PERIOD before exiting 0.
//
// Run with -healthcheck it is instead a health probe for the container
// runtime: it GETs http://127.0.0.1:$PORT/health and exits 0 on 200, 1
// otherwise (the runtime image is FROM scratch and has no shell or curl).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, stop))
}

// run is main without the process globals, so that tests can drive it.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	healthcheck := fs.Bool("healthcheck", false,
		"probe http://127.0.0.1:$PORT/health and exit 0 if it answers 200, 1 otherwise")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "app: unexpected arguments: %v\n", fs.Args())
		return 2
	}

	log := newLogger(stdout)
	cfg, err := loadConfig(getenv)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return 1
	}

	if *healthcheck {
		if err := probe(cfg.Port, healthcheckTimeout); err != nil {
			fmt.Fprintf(stderr, "healthcheck failed: %v\n", err)
			return 1
		}
		return 0
	}

	addr := net.JoinHostPort(listenHost, cfg.Port)
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		log.Error("cannot listen", "addr", addr, "error", err.Error())
		return 1
	}
	log.Info("listening",
		"addr", ln.Addr().String(),
		"version", cfg.Version,
		"shutdown_grace_period", cfg.ShutdownGrace.String())

	srv := newServer(newHandler(cfg.Version), log)
	if err := serve(srv, ln, stop, cfg.ShutdownGrace, log); err != nil {
		log.Error("server stopped with an error", "error", err.Error())
		return 1
	}
	return 0
}
