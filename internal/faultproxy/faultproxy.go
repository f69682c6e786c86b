// Package faultproxy is a TCP proxy for tests that takes a dependency (Postgres, Redis, a
// messenger) away and gives it back, without touching the real server that other tests
// share. Stop is "the server is down": the proxy's port refuses connections and the open
// ones are cut. Blackhole is "the network hangs": connections are accepted and bytes are held,
// so clients run into their timeouts; Start delivers what was held and forwards again.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
)

// Proxy forwards connections on a local port to a target address.
type Proxy struct {
	target string
	addr   string

	mu        sync.Mutex
	cond      *sync.Cond // signalled when blackhole or closed change
	ln        net.Listener
	conns     map[net.Conn]struct{}
	blackhole bool
	closed    bool
	wg        sync.WaitGroup
}

// New starts a proxy on a free port of 127.0.0.1 that forwards to target ("host:port").
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.serve(ln)
	return p, nil
}

// Addr is the proxy's address ("127.0.0.1:port"); it stays the same across Stop and Start.
func (p *Proxy) Addr() string { return p.addr }

// URL returns rawURL with its host and port replaced by the proxy's, so a client given it
// connects through the proxy ("redis://127.0.0.1:6379/0" → "redis://127.0.0.1:41234/0").
func (p *Proxy) URL(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("faultproxy: %w", err)
	}
	u.Host = p.addr
	return u.String(), nil
}

func (p *Proxy) serve(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // listener closed by Stop or Close
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.forward(c)
			}()
		}
	}()
}

// forward connects c to the target and copies both ways until either side closes or the
// proxy cuts the connection.
func (p *Proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		c.Close()
		up.Close()
		return
	}
	defer p.untrack(c, up)
	done := make(chan struct{}, 2)
	go func() { p.copy(up, c); done <- struct{}{} }()
	go func() { p.copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
}

// copy moves bytes from src to dst, holding each chunk while the proxy is a black hole.
func (p *Proxy) copy(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.blackhole && !p.closed {
				p.cond.Wait()
			}
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil || p.closed {
		return false // stopped while dialling
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// Stop takes the target away: the port refuses new connections and open ones are cut, as
// when the server has died. Held bytes of a black hole are dropped with their connections.
func (p *Proxy) Stop() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		c.Close()
	}
	p.blackhole = false
	p.cond.Broadcast()
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// Blackhole keeps connections open but forwards nothing: new connections are accepted and
// every byte is held until Start, so clients wait until their own timeouts.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackhole = true
}

// Start brings the target back: after Stop it listens again on the same address; after
// Blackhole it delivers the held bytes and forwards again.
func (p *Proxy) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("faultproxy: closed")
	}
	p.blackhole = false
	p.cond.Broadcast()
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("faultproxy: listen again on %s: %w", p.addr, err)
	}
	p.serve(ln)
	return nil
}

// Close stops the proxy for good and waits for its goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.Stop()
	p.wg.Wait()
}
