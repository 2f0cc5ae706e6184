package main

import (
	"fmt"
	"strconv"
	"time"
)

const (
	// listenHost is IPv4 any: nginx in the same task reaches the app on
	// 127.0.0.1, and Fargate's awsvpc network is IPv4.
	listenHost = "0.0.0.0"

	defaultPort          = "8080"
	defaultShutdownGrace = 10 * time.Second
)

type config struct {
	Port          string        // PORT, 1-65535
	Version       string        // VERSION, returned by every path but /health
	ShutdownGrace time.Duration // SHUTDOWN_GRACE_PERIOD, a Go duration ("10s")
}

// loadConfig reads the environment through getenv; unset means default.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		Port:          defaultPort,
		Version:       getenv("VERSION"),
		ShutdownGrace: defaultShutdownGrace,
	}
	if v := getenv("PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return config{}, fmt.Errorf("PORT=%q: want an integer from 1 to 65535", v)
		}
		cfg.Port = strconv.Itoa(n)
	}
	if v := getenv("SHUTDOWN_GRACE_PERIOD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return config{}, fmt.Errorf("SHUTDOWN_GRACE_PERIOD=%q: want a non-negative Go duration such as 10s", v)
		}
		cfg.ShutdownGrace = d
	}
	return cfg, nil
}
