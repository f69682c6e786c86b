package faultproxy_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"coopbot/internal/faultproxy"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line on c and reads the answer within d.
func roundTrip(c net.Conn, r *bufio.Reader, line string, d time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	got, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return got[:len(got)-1], nil
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func TestStopRefusesAndCutsThenStartForwardsAgain(t *testing.T) {
	t.Parallel()
	p, err := faultproxy.New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)

	c, r := dial(t, p.Addr())
	if got, err := roundTrip(c, r, "one", time.Second); err != nil || got != "one" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}

	p.Stop()
	// The open connection is cut and the port refuses new ones: the server is down.
	if _, err := roundTrip(c, r, "two", time.Second); err == nil {
		t.Fatal("a connection survived Stop")
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection hung after Stop instead of being cut: %v", err)
	}
	if c2, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c2.Close()
		t.Fatal("the proxy accepted a connection while stopped")
	}

	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	c3, r3 := dial(t, p.Addr())
	if got, err := roundTrip(c3, r3, "three", time.Second); err != nil || got != "three" {
		t.Fatalf("after Start: %q, %v", got, err)
	}
}

func TestBlackholeHoldsBytesUntilStart(t *testing.T) {
	t.Parallel()
	p, err := faultproxy.New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c, r := dial(t, p.Addr())
	if got, err := roundTrip(c, r, "one", time.Second); err != nil || got != "one" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}

	p.Blackhole()
	// An open connection and a new one both hang: clients see timeouts, not errors.
	if _, err := roundTrip(c, r, "two", 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("open connection in a black hole: %v, want a timeout", err)
	}
	c2, r2 := dial(t, p.Addr())
	if _, err := roundTrip(c2, r2, "late", 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("new connection in a black hole: %v, want a timeout", err)
	}

	// Back: what was held arrives, in order.
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "two\n" {
		t.Fatalf("held bytes after Start: %q, %v", got, err)
	}
	c2.SetDeadline(time.Now().Add(time.Second))
	if got, err := r2.ReadString('\n'); err != nil || got != "late\n" {
		t.Fatalf("held bytes of the new connection after Start: %q, %v", got, err)
	}
}

func TestURLPointsAtTheProxy(t *testing.T) {
	t.Parallel()
	p, err := faultproxy.New("127.0.0.1:6379")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	got, err := p.URL("postgres://postgres@127.0.0.1:5432/coopbot_x?sslmode=disable")
	if want := "postgres://postgres@" + p.Addr() + "/coopbot_x?sslmode=disable"; err != nil || got != want {
		t.Fatalf("URL = %q, %v; want %q", got, err, want)
	}
}
