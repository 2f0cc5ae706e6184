package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds the whole probe. It is below the smallest ECS
// health check timeout (2 s), so the probe always exits, with 1 if the app is
// stuck, before ECS gives up on it.
const healthcheckTimeout = 1 * time.Second

// probe GETs http://127.0.0.1:<port>/health and returns nil on a 200.
func probe(port string, timeout time.Duration) error {
	client := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:             nil, // never send the loopback probe through a proxy
			DisableKeepAlives: true,
		},
	}
	url := "http://" + net.JoinHostPort("127.0.0.1", port) + "/health"
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}
