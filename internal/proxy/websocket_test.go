package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// wsUpstream is a raw WebSocket endpoint on 127.0.0.1: it answers the
// handshake with 101, reads one client frame, echoes its payload in a server
// frame, then closes when closeFirst is set or else waits for the client to
// close. got receives the client frame's payload.
func wsUpstream(t *testing.T, closeFirst bool) (addr string, got <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan []byte, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		if _, err := io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"); err != nil {
			return
		}
		payload, err := readFrame(br)
		if err != nil {
			return
		}
		ch <- payload
		if _, err := c.Write(frame(payload, nil)); err != nil || closeFirst {
			return
		}
		_, _ = io.Copy(io.Discard, br) // until the client (through the proxy) closes
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String(), ch
}

// frame builds a final text frame of a short payload, masked when mask is
// set (client frames must be).
func frame(payload, mask []byte) []byte {
	b := []byte{0x81, byte(len(payload))}
	if mask == nil {
		return append(b, payload...)
	}
	b[1] |= 0x80
	b = append(b, mask...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// readFrame reads a short frame and returns its unmasked payload.
func readFrame(r io.Reader) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	var mask [4]byte
	if h[1]&0x80 != 0 {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return nil, err
		}
	}
	payload := make([]byte, h[1]&0x7f)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, err
	}
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return payload, nil
}

// TestWebSocketPlainHTTP runs a real WebSocket handshake through the proxy
// over plain HTTP: the 101 keeps its upgrade pair, frames flow both ways,
// the exchange counts as uninspectable websocket (or is blocked when the
// policy fails closed), whichever side closes first the other is closed
// too, and no goroutine is left behind.
func TestWebSocketPlainHTTP(t *testing.T) {
	tests := []struct {
		name       string
		give       byteRules
		closeFirst bool // the upstream ends the session; else the client does
		wantStatus int
		wantMetric string
	}{
		{name: "upstream closes", closeFirst: true, wantStatus: http.StatusSwitchingProtocols,
			wantMetric: "uninspected_msg/request/websocket/false"},
		{name: "client closes", wantStatus: http.StatusSwitchingProtocols,
			wantMetric: "uninspected_msg/request/websocket/false"},
		{name: "fail closed", give: byteRules{closed: true}, wantStatus: http.StatusForbidden,
			wantMetric: "uninspected_msg/request/websocket/true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, got := wsUpstream(t, tt.closeFirst)
			m := newFakeMetrics()
			p := &Proxy{Policy: tt.give.policy(), Metrics: m}
			proxyURL := startProxy(t, p)

			c, err := net.Dial("tcp", proxyURL.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(c, "GET http://"+up+"/chat HTTP/1.1\r\nHost: "+up+"\r\n"+
				"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"+
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("handshake response: %v", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if m.get(tt.wantMetric) != 1 {
				t.Errorf("%s = %v, want 1; metrics %v", tt.wantMetric, m.get(tt.wantMetric), m.snapshot())
			}
			if tt.wantStatus != http.StatusSwitchingProtocols {
				return
			}
			if resp.Header.Get("Upgrade") != "websocket" {
				t.Errorf("Upgrade %q, want websocket", resp.Header.Get("Upgrade"))
			}
			hello := []byte("hello through the proxy")
			if _, err := c.Write(frame(hello, []byte{1, 2, 3, 4})); err != nil {
				t.Fatal(err)
			}
			if up := <-got; !bytes.Equal(up, hello) {
				t.Errorf("upstream got %q, want %q", up, hello)
			}
			echo, err := readFrame(br)
			if err != nil {
				t.Fatalf("echo frame: %v", err)
			}
			if !bytes.Equal(echo, hello) {
				t.Errorf("client got %q, want %q", echo, hello)
			}
			if tt.closeFirst {
				// The proxy must close the client side once the upstream is gone.
				if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
					t.Fatalf("client read after upstream close: %v, want EOF", err)
				}
			}
			_ = c.Close()
			waitFor(t, func() bool { return m.get("request/"+OutcomeBypassed) == 1 && m.get("active_connections") == 0 }, "access line and closed client connection")
			if n := m.get("uninspected/request/websocket"); n < float64(len(hello)) {
				t.Errorf("uninspected request bytes %v, want >= %d", n, len(hello))
			}
			goleak.VerifyNone(t,
				goleak.IgnoreAnyFunction("net/http.(*Server).Serve"),
				goleak.IgnoreAnyFunction("github.com/dlpproxy/dlpproxy/internal/proxy.startProxy.func1"),
				goleak.IgnoreAnyFunction("github.com/dlpproxy/dlpproxy/internal/proxy.wsUpstream.func1"))
		})
	}
}
