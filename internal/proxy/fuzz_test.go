package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

// FuzzProxyRequest sends arbitrary bytes as a raw request to an
// in-process proxy (short timeouts, destinations kept on loopback, names
// unresolvable): the proxy must answer with a well-formed response or
// close the connection, within its timeouts, and never panic or hang.
func FuzzProxyRequest(f *testing.F) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	f.Cleanup(up.Close)
	target := up.URL
	for _, seed := range []string{
		"GET " + target + "/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST " + target + "/u HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"POST " + target + "/u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST " + target + "/u HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST " + target + "/u HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip, br\r\nContent-Length: 3\r\n\r\nabc",
		"POST " + target + "/u HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 20\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
		"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET " + target + "/ HTTP/1.0\r\n\r\nGET " + target + "/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"\x16\x03\x01\x00\x05hello",
	} {
		f.Add([]byte(seed))
	}
	p := &Proxy{Policy: (&byteRules{blockAt: 64, settings: Settings{HoldSize: 16}}).policy(), ConnectPorts: []int{443, portOf(f, target)}}
	shortTimeouts(p)
	p.Resolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in the fuzz test")
	}}
	p.dialCheck = func(address string) error {
		if ap, err := netip.ParseAddrPort(address); err != nil || !ap.Addr().IsLoopback() {
			return fmt.Errorf("fuzz: %s is not loopback", address)
		}
		return nil
	}
	addr := startProxy(f, p).Host
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write(raw)
		_ = c.(*net.TCPConn).CloseWrite()
		br := bufio.NewReader(c)
		for {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				if isTimeout(err) {
					t.Fatalf("no response and no close within 5s: %v", err)
				}
				if _, perr := br.Peek(1); perr == nil {
					t.Fatalf("malformed response: %v", err)
				}
				return // closed
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if isTimeout(err) {
				t.Fatalf("response body hangs: %v", err)
			}
		}
	})
}
