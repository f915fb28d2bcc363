package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
)

// hopHeaders are meaningful for one connection only (RFC 9110 §7.6.1) and
// must not be forwarded.
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// spoofableRequestHeaders could make a request look as if it came from
// elsewhere, or as if the proxy had vouched for it.
var spoofableRequestHeaders = [...]string{
	"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded", "X-Real-Ip",
}

// sanitizeRequest removes hop-by-hop and spoofable headers. It runs before
// any policy hook sees the request, so nothing a client sends in them can
// steer policy, and a hook's additions cannot be deleted afterwards by a
// client-controlled Connection header (the flaw of ReverseProxy.Director).
// X-Dlp-* headers are the proxy's own vocabulary: a client cannot set them.
func sanitizeRequest(h http.Header) {
	removeHopHeaders(h)
	for _, k := range spoofableRequestHeaders {
		h.Del(k)
	}
	removePrefixed(h, "X-Dlp-")
}

// sanitizeResponse removes hop-by-hop headers and any X-Dlp-* header, so an
// upstream cannot forge an incident id. A 101 Switching Protocols keeps its
// Connection/Upgrade pair (as onRequest keeps the request's): goproxy only
// relays an upgraded connection whose response still says so, and without it
// the client waits forever on a connection nobody copies.
func sanitizeResponse(resp *http.Response) {
	upgrade := ""
	if resp.StatusCode == http.StatusSwitchingProtocols {
		upgrade = upgradeProtocol(resp.Header)
	}
	removeHopHeaders(resp.Header)
	removePrefixed(resp.Header, "X-Dlp-")
	if upgrade != "" {
		resp.Header.Set("Connection", "Upgrade")
		resp.Header.Set("Upgrade", upgrade)
	}
}

func removeHopHeaders(h http.Header) {
	for _, v := range h.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if tok = textproto.TrimString(tok); tok != "" {
				h.Del(tok)
			}
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

func removePrefixed(h http.Header, prefix string) {
	for k := range h {
		if len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) {
			delete(h, k)
		}
	}
}

// upgradeProtocol returns the protocol a request asks to switch to
// (WebSocket, h2c), or "".
func upgradeProtocol(h http.Header) string {
	for _, v := range h.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(textproto.TrimString(tok), "upgrade") {
				return strings.TrimSpace(h.Get("Upgrade"))
			}
		}
	}
	return ""
}

// tlsStage classifies an upstream error for the TLS interception metric;
// "" when it is not a TLS error.
func tlsStage(err error) string {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr x509.CertificateInvalidError
	var rerr tls.RecordHeaderError
	var aerr tls.AlertError
	switch {
	case errors.As(err, &verr), errors.As(err, &uerr), errors.As(err, &herr), errors.As(err, &cerr):
		return StageUpstreamVerify
	case errors.As(err, &rerr), errors.As(err, &aerr):
		return StageUpstreamHandshake
	}
	return ""
}

// errorResponse is the default ErrorHandler, with a one-line reason that
// names no body content: 403 when the destination is the proxy itself or a
// refused address, 503 with Retry-After when no inspection slot came free,
// 408 when the client stopped sending its body, 400 when it was malformed, 504 when the upstream timed
// out, 502 otherwise (DNS failure, refused or reset connection).
func errorResponse(req *http.Request, err error) *http.Response {
	status, msg := http.StatusBadGateway, "dlpproxy: upstream unreachable or failed"
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, errSelf):
		status, msg = http.StatusForbidden, "dlpproxy: the proxy does not forward to itself"
	case errors.Is(err, errDestination):
		kind := "refused"
		if de := (*destinationError)(nil); errors.As(err, &de) {
			kind = de.kind
		}
		status, msg = http.StatusForbidden, destinationMessage(kind)
	case errors.Is(err, errBusy):
		resp := textResponse(req, http.StatusServiceUnavailable, "dlpproxy: too busy inspecting, retry shortly\n")
		resp.Header.Set("Retry-After", "1")
		return resp
	case errors.Is(err, errClientTimeout):
		status, msg = http.StatusRequestTimeout, "dlpproxy: request body not received in time"
	case errors.Is(err, errClientBody):
		status, msg = http.StatusBadRequest, "dlpproxy: malformed request body"
	case errors.As(err, &dnsErr):
		msg = "dlpproxy: upstream host name does not resolve"
	case isTimeout(err):
		status, msg = http.StatusGatewayTimeout, "dlpproxy: upstream did not answer in time"
	case tlsStage(err) == StageUpstreamVerify:
		msg = "dlpproxy: upstream TLS certificate is not trusted"
	case tlsStage(err) == StageUpstreamHandshake:
		msg = "dlpproxy: upstream TLS handshake failed"
	}
	return textResponse(req, status, msg+"\n")
}

// textResponse builds a small plain-text response.
func textResponse(req *http.Request, status int, body string) *http.Response {
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	return &http.Response{
		StatusCode: status, Status: statusLine(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}
}
