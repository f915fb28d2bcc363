package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
	"go.uber.org/zap"

	"github.com/dlpproxy/dlpproxy/internal/accesslog"
	"github.com/dlpproxy/dlpproxy/internal/decode"
	"github.com/dlpproxy/dlpproxy/internal/extract"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// roundTrip is the enforcement hook goproxy calls for every proxied
// request, plain or intercepted: sanitise, enforce the request body, send,
// enforce the response body. Every response it returns carries the access
// line on Close; every failure goes through errorHandler.
func (p *Proxy) roundTrip(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Response, error) {
	x := p.exchangeFor(req)
	x.rules = p.Policy()
	if upgrade := upgradeProtocol(req.Header); upgrade != "" {
		reason := upgradeReason(upgrade)
		if x.rules.FailClosed(reason) {
			return p.respond(x, req, p.uninspectableBlock(x, req, Request, reason)), nil
		}
		p.metrics().UninspectedMessage(Request, reason, false)
	}
	msg := Message{Direction: Request, Host: hostOnly(req.URL.Host), Method: req.Method,
		ContentType: mediaType(req.Header), User: x.user, Client: x.client}
	head := requestHead(req)
	if hasBody(req.Body, req.ContentLength) {
		body, err := p.inspectBody(req.Context(), x, msg, req.Body, req.Header, req.ContentLength, head)
		if err != nil {
			return p.respond(x, req, p.failure(x, req, err)), nil
		}
		req.Body = &countingBody{ReadCloser: body, n: &x.bytesUp}
	} else if err := p.inspectHead(req.Context(), x, msg, head); err != nil {
		return p.respond(x, req, p.failure(x, req, err)), nil
	}
	// net/http cancels a request's context when its client half-closes
	// the connection, which a client may do once its request is sent: the
	// upstream exchange goes on, bounded by the upstream timeouts, and a
	// client really gone ends it when the response cannot be written.
	resp, err := p.tr.RoundTrip(req.WithContext(context.WithoutCancel(req.Context())))
	if err != nil {
		return p.respond(x, req, p.failure(x, req, err)), nil
	}
	if inc := x.block.Load(); inc != nil { // the upstream answered before the request body was cut
		_ = resp.Body.Close()
		return p.respond(x, req, p.blockPage(req, inc, x.rules)), nil
	}
	sanitizeResponse(resp)
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return p.upgraded(x, req, resp), nil
	}
	msg.Direction = Response
	msg.ContentType = mediaType(resp.Header)
	if hasBody(resp.Body, resp.ContentLength) {
		body, err := p.inspectBody(req.Context(), x, msg, resp.Body, resp.Header, resp.ContentLength, nil)
		if err != nil {
			_ = resp.Body.Close()
			return p.respond(x, req, p.failure(x, req, err)), nil
		}
		resp.Body = body
	}
	return p.respond(x, req, resp), nil
}

// upgraded hands goproxy a 101 response whose body is the upgraded
// connection (an io.ReadWriter, which goproxy requires to relay it), wrapped
// to count the bytes each way as uninspected under the upgrade's reason and
// to write the access line when goproxy closes it. Closing it also closes
// the client connection: goproxy stops relaying when either side ends but
// never closes a connection it hijacked, so the copier still reading from
// the client would otherwise wait for as long as the client stays silent.
func (p *Proxy) upgraded(x *exchange, req *http.Request, resp *http.Response) *http.Response {
	rw, ok := resp.Body.(io.ReadWriteCloser)
	if !ok { // net/http always gives one for a 101; refuse rather than hang
		_ = resp.Body.Close()
		return p.respond(x, req, p.failure(x, req, errors.New("upgraded connection is not writable")))
	}
	reason := upgradeReason(upgradeProtocol(resp.Header))
	tc := connOf(req)
	if tc != nil {
		tc.tunnel.Store(true) // frames, not requests: no smuggling sniffing, tunnel idle timeout
	}
	x.setOutcome(OutcomeBypassed) // relayed, never inspected
	resp.Body = &upgradedBody{rw: rw, p: p, x: x, client: tc, reason: reason}
	return resp
}

// upgradeReason is the uninspectable reason of an upgrade protocol: http2
// for h2c, websocket for anything else.
func upgradeReason(protocol string) string {
	if strings.EqualFold(protocol, "h2c") {
		return ReasonHTTP2
	}
	return ReasonWebSocket
}

// upgradedBody is the upgraded connection of a 101 response: Read carries
// upstream bytes to the client, Write client bytes upstream.
type upgradedBody struct {
	rw     io.ReadWriteCloser
	p      *Proxy
	x      *exchange
	client *trackedConn // the client connection (inside an intercepted tunnel, the decrypted one: closing it ends the tunnel)
	reason string
	once   sync.Once
}

func (u *upgradedBody) Read(b []byte) (int, error) {
	n, err := u.rw.Read(b)
	u.x.bytesDown.Add(int64(n))
	return n, err
}

func (u *upgradedBody) Write(b []byte) (int, error) {
	n, err := u.rw.Write(b)
	u.x.bytesUp.Add(int64(n))
	return n, err
}

// Close ends both sides once and records the exchange.
func (u *upgradedBody) Close() error {
	err := u.rw.Close()
	u.once.Do(func() {
		if u.client != nil {
			_ = u.client.Close()
		}
		m := u.p.metrics()
		m.UninspectedBytes(Request, u.reason, u.x.bytesUp.Load())
		m.UninspectedBytes(Response, u.reason, u.x.bytesDown.Load())
		u.p.logAccess(u.x, http.StatusSwitchingProtocols)
	})
	return err
}

// inspectHead enforces the policy on the head of a request without a body
// to inspect (head is requestHead's text; nil skips it). A thousand ID
// numbers fit in a query string or a header as well as in a body, so the
// head is held and decided before anything is forwarded: a block is the
// block page, a log decision an incident. A request with a body has its
// head counted with the body instead (inspectBody's prelude).
func (p *Proxy) inspectHead(ctx context.Context, x *exchange, msg Message, head []byte) error {
	if len(head) == 0 {
		return nil
	}
	body, err := p.inspectBody(ctx, x, msg, io.NopCloser(bytes.NewReader(head)), http.Header{}, int64(len(head)), nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, body)
	if cerr := body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("inspect request head: %w", err)
	}
	return nil
}

// requestHead renders the text of a request's head for inspection: the
// path, the query string (percent-decoded when it decodes, '&' and '='
// becoming separators) and one "Name: value" line per header value (Host
// and Cookie included; hop-by-hop headers and Proxy-Authorization are gone
// by now). It is nil when mayHoldValue finds nothing worth scanning.
func requestHead(req *http.Request) []byte {
	var b bytes.Buffer
	if req.URL != nil {
		b.WriteString(req.URL.Path)
		b.WriteByte('\n')
		if q := req.URL.RawQuery; q != "" {
			if dq, err := url.QueryUnescape(q); err == nil {
				q = dq
			}
			for i := range len(q) {
				switch c := q[i]; c {
				case '&':
					b.WriteByte('\n')
				case '=':
					b.WriteByte(' ')
				default:
					b.WriteByte(c)
				}
			}
			b.WriteByte('\n')
		}
	}
	if req.Host != "" {
		headLine(&b, "Host", req.Host)
	}
	for k, vs := range req.Header {
		if strings.EqualFold(k, "Proxy-Authorization") {
			continue
		}
		for _, v := range vs {
			headLine(&b, k, v)
		}
	}
	if !mayHoldValue(b.Bytes()) {
		return nil
	}
	return b.Bytes()
}

// headLine writes one "Name: value" line without building the string.
func headLine(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(": ")
	b.WriteString(value)
	b.WriteByte('\n')
}

// mayHoldValue is a cheap pre-check that spares most requests a message of
// their own: text holding no run of 6 digits (single spaces or hyphens
// between them allowed), no '@', no escape ('%', '\\', '&#'), no
// non-ASCII byte and no 64-character base64 run holds nothing a detector
// counts (every ID, phone, card and passport number has 6 digits in a
// row, every email an '@', every name and address non-ASCII text, and
// shorter base64 runs are not decoded).
func mayHoldValue(b []byte) bool {
	digits, b64 := 0, 0
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case (c == ' ' || c == '-') && digits > 0 && i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9':
			// a single separator inside a digit run
		case c == '@' || c == '%' || c == '\\' || c >= 0x80 || c == '&' && i+1 < len(b) && b[i+1] == '#':
			return true
		default:
			digits = 0
		}
		if digits >= 6 {
			return true
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_' {
			b64++
			if b64 >= 64 {
				return true
			}
		} else {
			b64 = 0
		}
	}
	return false
}

// exchangeFor returns the exchange forward put in the request's context
// (plain and intercepted requests alike), or a new one without a client for
// a request that did not come through forward.
func (p *Proxy) exchangeFor(req *http.Request) *exchange {
	if x, ok := req.Context().Value(exchangeKey{}).(*exchange); ok {
		return x
	}
	return &exchange{start: p.now(), method: req.Method, host: req.URL.Host, path: req.URL.Path}
}

// respond attaches the access line to resp's body and fills what a
// hand-made response lacks.
func (p *Proxy) respond(x *exchange, req *http.Request, resp *http.Response) *http.Response {
	if resp.Request == nil {
		resp.Request = req
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	resp.Body = &responseBody{ReadCloser: resp.Body, p: p, x: x, status: resp.StatusCode}
	return resp
}

// failure maps an error to the client's response: the block page for a
// policy block, errorHandler for everything else.
func (p *Proxy) failure(x *exchange, req *http.Request, err error) *http.Response {
	if inc := x.block.Load(); inc != nil { // a block cut the body: whatever failed after it, the answer is the block page
		resp := p.blockPage(req, inc, x.rules)
		// A body cut mid-stream leaves the connection unusable; a held
		// block leaves it reusable (the rest of the body is drained).
		resp.Close = inc.Phase == PhaseStreaming
		return resp
	}
	switch {
	case errors.Is(err, errSelf):
		p.metrics().AccessDenied(DeniedSelf)
		x.setOutcome(OutcomeDenied)
	case errors.Is(err, errDestination):
		p.metrics().AccessDenied(DeniedDestination)
		x.setOutcome(OutcomeDenied)
	case errors.Is(err, errBusy):
		p.metrics().AccessDenied(DeniedOverload)
		x.setOutcome(OutcomeError)
	case x.clientErr.Load() != nil: // the client's fault, not the upstream's
		x.setOutcome(OutcomeError)
		err = fmt.Errorf("%w: %w", *x.clientErr.Load(), err)
	default:
		x.setOutcome(OutcomeError)
		if stage := tlsStage(err); stage != "" {
			p.metrics().TLSInterceptError(stage)
		}
		p.log().Info("upstream error", zap.String("host", x.host), zap.Error(err))
	}
	return p.errorHandler()(req, err)
}

// isLiveStream reports a response that is a live stream (h its headers):
// server-sent events or line-delimited JSON (a live feed, a chat answer
// streamed as it is written, a Kubernetes watch). It is never held, since it may not end for minutes, and
// each record is inspected and forwarded as it comes (the extractor
// decides the text at every record's end).
func isLiveStream(msg Message, h http.Header) bool {
	return msg.Direction == Response && extract.LiveStream(h.Get("Content-Type"))
}

// inspectBody wraps one body for enforcement. Bodies up to the hold size
// are read whole first, so a block returns an error wrapping
// inspect.ErrBlocked before anything was forwarded; larger bodies come back
// as a streaming reader that fails at the chunk that crosses a threshold.
// With MaxInspections set it first waits for an inspection slot (errBusy
// when none comes free in time); the message gives it back when it ends.
//
// prelude, when not nil, is the request head's text: it is scanned first
// and counted with the body as one message (49 IDs in the query and 49 in
// the body are 98 IDs), and decided before the body is read, so a head
// over a threshold is blocked before anything goes upstream. A body that
// passes uninspected leaves its head inspected on its own.
func (p *Proxy) inspectBody(ctx context.Context, x *exchange, msg Message, body io.ReadCloser, h http.Header, length int64, prelude []byte) (io.ReadCloser, error) {
	rules := x.rules
	if rules.HostAllowed(msg.Host) {
		return p.uninspected(msg.Direction, body, ReasonAllowlistedHost), nil
	}
	scope := rules.Scope(msg)
	if scope == nil {
		return body, nil
	}
	encodings, err := decode.ParseEncodings(strings.Join(h.Values("Content-Encoding"), ","))
	if err != nil {
		if rules.FailClosed(ReasonUnsupportedEncoding) {
			_ = body.Close()
			inc := p.uninspectableIncident(x, msg.Direction, ReasonUnsupportedEncoding)
			return nil, fmt.Errorf("%w: %s", inspect.ErrBlocked, inc.Rule)
		}
		if err := p.inspectHead(ctx, x, msg, prelude); err != nil {
			_ = body.Close()
			return nil, err
		}
		return p.uninspected(msg.Direction, body, ReasonUnsupportedEncoding), nil
	}
	settings := rules.Settings()
	if err := p.inspects.acquire(ctx, orDefault(p.InspectionWait, DefaultInspectionWait)); err != nil {
		_ = body.Close()
		return nil, err
	}
	live := isLiveStream(msg, h)
	m := p.newMessage(x, msg.Direction, scope, body, h.Get("Content-Type"), live, settings, encodings, prelude)
	m.sized = length >= 0 && !live
	if err := m.decideHead(); err != nil {
		_ = m.Close()
		return nil, err
	}
	hold := settings.HoldSize
	if hold <= 0 || length > hold || live {
		if msg.Direction == Request { // a streaming request block is answered with the page anyway
			m.state.Store(streaming)
			return m, nil
		}
		// No response header has gone out yet: read the first settled bytes
		// while a block can still be a clean page, then stream the rest.
		return m.first()
	}
	wait := settings.HoldWait
	if length >= 0 {
		wait = 0 // a declared length is held whole: it ends when its bytes are in
	}
	buf, pooled, complete, pending, err := m.hold(hold, length, wait)
	if err != nil {
		p.putBuf(pooled)
		_ = m.Close()
		return nil, err
	}
	if complete {
		return &heldBody{Reader: bytes.NewReader(buf), m: m, pooled: pooled}, nil
	}
	rest := io.Reader(m)
	if pending != nil {
		rest = io.MultiReader(pending, m)
	}
	return &heldBody{Reader: io.MultiReader(bytes.NewReader(buf), rest), m: m, pooled: pooled}, nil
}

// A message's states. It starts holding; it streams once something of it
// may have gone out, and is decidedHeld once its verdict came while it was
// held whole. The hold wait and the decision of a read in flight race to
// leave holding, so whichever comes first is what the incident records and
// what the client sees.
const (
	holding int32 = iota
	streaming
	decidedHeld
)

// phase is PhaseStreaming once the body streams, else PhaseHeld.
func (m *message) phase() string {
	if m.state.Load() == streaming {
		return PhaseStreaming
	}
	return PhaseHeld
}

// message is the enforcement of one body: the source, the enforcing reader
// over it, the scanner and what the policy has said so far.
type message struct {
	p     *Proxy
	x     *exchange
	dir   Direction
	scope Scope
	src   io.ReadCloser
	set   Settings

	mu       sync.Mutex // serialises Read and the release in Close
	er       io.Reader
	scanner  *inspect.Scanner
	ext      *extract.Extractor // unpacks the body into scanner: parts, archives, base64, charsets
	reasons  int                // how many of ext's uninspectable reasons were handled
	timed    *timedReader
	decoded  io.Closer    // the decoding enforcer of an encoded body, nil for identity
	tail     io.Reader    // the source past the inspect limit, passed uninspected
	passing  string       // reason an encoded body stopped being inspected and passes
	err      error        // sticky
	state    atomic.Int32 // holding, streaming or decidedHeld: see phase
	logged   Decision     // the last log decision (Action Log), recorded when the message ends unblocked
	block    *Decision
	stopped  *Decision // the block the extractor stopped at (see blocks); check keeps it
	busy     time.Duration
	finished bool
	sized    bool // a declared length (not an event stream): see readSettled
}

// newMessage starts the enforcement of one body of the given Content-Type
// carrying encodings (nil: identity); live says it is a live stream (read
// with extract.NewLive). An identity body goes through the
// extractor (multipart parts, archives, base64, legacy charsets) up to the
// inspect limit; an encoded one is decoded for the scanner, its decoded size
// bounded by the inspect limit, while its original bytes are forwarded.
//
// Memory per message: the enforcing reader keeps unreleased body bytes and
// the extractor holds an archive whole until its central directory, or a
// PDF of glyph codes until its CMaps (at most extract.DefaultHold), so such
// a message costs about twice that; docs/proxy.md has the bound.
func (p *Proxy) newMessage(x *exchange, dir Direction, scope Scope, src io.ReadCloser, contentType string, live bool, set Settings, encodings []string, prelude []byte) *message {
	m := &message{p: p, x: x, dir: dir, scope: scope, src: src, set: set}
	engine := x.rules.Engine()
	if engine == nil {
		engine = p.engine
	}
	m.scanner = engine.NewScanner()
	if len(prelude) > 0 {
		_, _ = m.scanner.Write(prelude) // a fresh scanner's Write cannot fail
		m.scanner.Boundary()            // decided, and no CSV header for the body
	}
	if live {
		m.ext = extract.NewLive(m.scanner, contentType, extract.Limits{})
	} else {
		m.ext = extract.New(m.scanner, contentType, extract.Limits{})
	}
	m.ext.StopWhen(m.blocks)
	m.timed = &timedReader{r: src}
	switch {
	case len(encodings) > 0:
		dec := decode.NewEnforcingReader(m.timed, encodings, m.ext, m.check, m.uninspectable,
			decode.Limits{MaxDecoded: set.InspectLimit})
		m.er, m.decoded = dec, dec
	case set.InspectLimit > 0:
		m.er = inspect.NewReader(io.LimitReader(m.timed, set.InspectLimit), m.ext, m.check)
	default:
		m.er = inspect.NewReader(m.timed, m.ext, m.check)
	}
	p.metrics().ActiveInspections(1)
	return m
}

// uninspectable is the decoding enforcer's hook for an encoded body it
// cannot inspect (decode error, decompression bound, unsupported coding):
// the policy's fail mode for the reason blocks it, or lets the rest pass
// unchanged and counted. The caller holds m.mu (it runs inside Read).
func (m *message) uninspectable(decodeReason string) error {
	reason := decodeReasons(decodeReason)
	if m.x.rules.FailClosed(reason) {
		m.p.metrics().UninspectedMessage(m.dir, reason, true)
		m.block = new(uninspectableBlock(reason))
		return fmt.Errorf("%w: %s", inspect.ErrBlocked, m.block.Rule)
	}
	m.p.metrics().UninspectedMessage(m.dir, reason, false)
	m.passing = reason
	return nil
}

// extractReasons handles the extractor's uninspectable reasons not yet
// seen: a fail-closed reason blocks, any other is counted and logged. The
// extractor spells reasons as the policy does.
func (m *message) extractReasons() error {
	if _, ok := m.ext.Uninspectable(); !ok {
		return nil
	}
	reasons := m.ext.Reasons()
	for ; m.reasons < len(reasons); m.reasons++ {
		reason := reasons[m.reasons]
		if m.x.rules.FailClosed(reason) {
			m.reasons++
			m.p.metrics().UninspectedMessage(m.dir, reason, true)
			m.block = new(uninspectableBlock(reason))
			return fmt.Errorf("%w: %s", inspect.ErrBlocked, m.block.Rule)
		}
		m.p.metrics().UninspectedMessage(m.dir, reason, false)
		m.p.log().Info("uninspectable part passed", zap.String("direction", m.dir.String()),
			zap.String("host", m.x.host), zap.String("reason", reason))
	}
	return nil
}

// decodeReasons maps a decode reason to the proxy's: both decompression
// bounds (size and ratio) are over_limit.
func decodeReasons(r string) string {
	switch r {
	case decode.ReasonOverLimit, decode.ReasonRatio:
		return ReasonOverLimit
	case decode.ReasonUnsupported:
		return ReasonUnsupportedEncoding
	default:
		return ReasonDecodeError
	}
}

// check is the enforcing reader's policy hook, called after every chunk.
// A part the extractor could not inspect (encrypted or bomb archive,
// corrupt container) is handled as soon as it is reported, once per
// reason: the rest of a broken archive must not stream out before the
// policy's fail mode had its say.
func (m *message) check(t *inspect.Tally) error {
	if err := m.extractReasons(); err != nil {
		return err
	}
	if m.stopped != nil {
		// The extractor stopped reading at this block: decided again,
		// a window rule might not block any more, and the bytes it did
		// not read would go out uninspected.
		m.block = m.stopped
		return fmt.Errorf("%w: rule %s", inspect.ErrBlocked, m.stopped.Rule)
	}
	d := m.scope.Decide(t)
	if d.Action == Log {
		m.logged = d
	}
	if d.Action == Block {
		block := d // d itself stays on the stack: this runs after every chunk
		m.block = &block
		return fmt.Errorf("%w: rule %s", inspect.ErrBlocked, d.Rule)
	}
	return nil
}

// blocks reports whether the policy blocks the message on tally t. The
// extractor asks it while it decodes (extract.Extractor.StopWhen), so an
// archive decoded in one go (a zip or 7z held whole) stops once the block
// is certain instead of decoding to its end first. The block is kept:
// check, which runs next, returns it rather than deciding again.
func (m *message) blocks(t *inspect.Tally) bool {
	d := m.scope.Decide(t)
	if d.Action != Block {
		return false
	}
	m.stopped = &d
	return true
}

// decideHead runs the policy on what the scanner holds before the body (a
// request's head), before any body byte is read or anything forwarded. A
// block is sticky: the caller closes the message, which records it.
func (m *message) decideHead() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.scanner.Tally().Total() == 0 {
		return nil
	}
	m.err = m.check(m.scanner.Tally())
	return m.err
}

// Read returns settled, checked bytes of the body.
func (m *message) Read(b []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	if m.tail != nil {
		n, err := m.tail.Read(b)
		m.p.metrics().UninspectedBytes(m.dir, ReasonOverLimit, int64(n))
		return n, err
	}
	t0 := time.Now()
	n, err := m.readSettled(b)
	m.busy += time.Since(t0)
	if m.passing != "" {
		m.p.metrics().UninspectedBytes(m.dir, m.passing, int64(n))
	}
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF):
		if err = m.overLimit(); err == nil {
			m.finish()
			if m.tail != nil {
				return n, nil
			}
			m.err = io.EOF // the enforcer is released: later reads see EOF again
			return n, io.EOF
		}
	}
	m.err = err
	m.finish()
	if m.dir == Response && m.block != nil && m.state.Load() == streaming {
		m.x.cut.Store(true)
	}
	return n, err
}

// bulkRead is the source read size from which a body is taken to stream
// in bulk: a full TLS record, or a socket read that found that much
// waiting.
const bulkRead = 16 << 10

// readSettled reads settled bytes from the enforcing reader, chunked as the
// source delivers them. The reader releases a chunk a holdback behind the
// source, so what it has settled after a read is the chunk give or take a
// few hundred bytes; handed on as it comes, each chunk of a bulk transfer
// becomes a full write plus a small one, and each a write syscall and, to
// a TLS peer, a record of its own. So while a body of declared length
// streams in bulk, a read hands on at most what the source's last read
// brought (16 KiB from TLS: one record out per record in), and when the
// reader has less than a quarter of that settled, the read waits for the
// next chunk and hands both on together. Only a body of declared length
// (Content-Length) is read so: its reader waits for the whole body anyway,
// so a few KiB held back while the sender pauses delay nothing it could
// use. A body of unknown length may be a live stream (NDJSON, a watch, a
// long poll, server-sent events): it gets every settled byte at once.
func (m *message) readSettled(b []byte) (int, error) {
	last := m.timed.last
	if last < bulkRead || !m.sized {
		return m.er.Read(b)
	}
	b = b[:min(len(b), last)]
	n, err := m.er.Read(b)
	if err == nil && n < len(b)/4 {
		var k int
		k, err = m.er.Read(b[n:])
		n += k
	}
	return n, err
}

// overLimit runs when the enforcing reader is done: if the source has more
// than the inspect limit, the rest is uninspectable and passes or blocks
// per the policy.
func (m *message) overLimit() error {
	if m.set.InspectLimit <= 0 || m.decoded != nil {
		return nil
	}
	var one [1]byte
	n, err := io.ReadFull(m.timed, one[:])
	if n == 0 {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	if m.x.rules.FailClosed(ReasonOverLimit) {
		m.p.metrics().UninspectedMessage(m.dir, ReasonOverLimit, true)
		m.block = new(uninspectableBlock(ReasonOverLimit))
		return fmt.Errorf("%w: %s", inspect.ErrBlocked, m.block.Rule)
	}
	m.p.metrics().UninspectedMessage(m.dir, ReasonOverLimit, false)
	m.tail = io.MultiReader(bytes.NewReader(one[:]), m.timed)
	return nil
}

// first reads the first settled bytes of a streaming body (one read, at
// most 32 KiB) before its headers are sent, so a block there is a clean
// page; the body returned forwards them, then streams the rest.
func (m *message) first() (io.ReadCloser, error) {
	pooled := m.p.getBuf()
	buf := (*pooled)[:32<<10]
	n, err := io.ReadAtLeast(m, buf, 1)
	if err != nil && !errors.Is(err, io.EOF) {
		m.p.putBuf(pooled)
		_ = m.Close()
		return nil, err
	}
	m.state.Store(streaming)
	return &heldBody{Reader: io.MultiReader(bytes.NewReader(buf[:n]), m), m: m, pooled: pooled}, nil
}

// hold reads up to limit bytes (or length, when known and smaller). complete
// says the whole body is in buf. pooled is the pool buffer buf started in,
// if any. With wait > 0 (a body of unknown length) it stops holding after
// wait: the body then streams, and pending, if not nil, delivers the read
// still in flight before the rest of the message (see pendingRead). The
// body is marked streaming before hold returns incomplete.
func (m *message) hold(limit, length int64, wait time.Duration) (buf []byte, pooled *[]byte, complete bool, pending *pendingRead, err error) {
	size := min(limit, bufSize) // unknown length: grow from a pool buffer
	if length >= 0 && length < limit {
		size = length + 1 // exactly: one more byte to see EOF without a second round
	}
	// Only a response's buffer is pooled: goproxy reads and closes a
	// response body in one goroutine, while http.Transport may close a
	// request body while its writer still reads it, and a buffer reused
	// then would send another message's bytes.
	if size == bufSize && m.dir == Response {
		pooled = m.p.getBuf()
		buf = (*pooled)[:0]
	} else {
		buf = make([]byte, 0, size)
	}
	read := m.Read
	var hr *holdReader
	if wait > 0 {
		hr = newHoldReader(m, wait)
		defer hr.stop()
		read = hr.read
	}
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):min(int64(cap(buf)), limit)]
		n, err := read(room)
		if errors.Is(err, errHoldExpired) {
			return buf, pooled, false, &pendingRead{m: m, done: hr.done, b: room}, nil
		}
		if hr != nil && m.state.Load() == streaming { // the wait ran out as this read came in
			return buf, pooled, false, &pendingRead{m: m, res: readResult{n, err}, b: room}, nil
		}
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, pooled, true, nil, nil
		}
		if err != nil {
			return buf, pooled, false, nil, err
		}
	}
	m.state.Store(streaming) // the hold size is reached: the rest streams
	return buf, pooled, false, nil, nil
}

// errHoldExpired is what holdReader.read returns when the wait ran out
// before the read in flight.
var errHoldExpired = errors.New("proxy: hold wait expired")

// holdReader reads a message on a goroutine of its own, one read at a
// time, so that holding can stop waiting while a read is in flight (a
// chunked response that pauses: a watch, a long poll).
type holdReader struct {
	m       *message
	rooms   chan []byte     // the next read's buffer
	done    chan readResult // the read's result; room for one, so the goroutine never waits on it
	expired chan struct{}   // closed when the wait ran out and the message streams
	timer   *time.Timer
}

// readResult is the outcome of one Read.
type readResult struct {
	n   int
	err error
}

func newHoldReader(m *message, wait time.Duration) *holdReader {
	r := &holdReader{m: m, rooms: make(chan []byte), done: make(chan readResult, 1), expired: make(chan struct{})}
	r.timer = time.AfterFunc(wait, func() {
		if m.state.CompareAndSwap(holding, streaming) { // not if the verdict came first
			close(r.expired)
		}
	})
	go r.loop()
	return r
}

func (r *holdReader) loop() {
	for b := range r.rooms {
		n, err := r.m.Read(b)
		r.done <- readResult{n, err}
	}
}

// read reads the message into b, or returns errHoldExpired once the wait
// has run out, the read going on into b: its result is then left in done.
func (r *holdReader) read(b []byte) (int, error) {
	r.rooms <- b
	select {
	case res := <-r.done:
		return res.n, res.err
	case <-r.expired:
		return 0, errHoldExpired
	}
}

// stop lets the goroutine end after its read in flight, if any.
func (r *holdReader) stop() {
	r.timer.Stop()
	close(r.rooms)
}

// pendingRead delivers the read a holdReader had in flight when holding
// stopped: its bytes (read into b), then its error. An error other than
// the end of the body ends a response whose headers are out: it is cut,
// never completed as if whole.
type pendingRead struct {
	m     *message
	done  <-chan readResult // the read in flight; nil when its result is already in res
	res   readResult
	b     []byte // where the read reads into; once taken in, its bytes not yet returned
	taken bool
}

func (p *pendingRead) Read(b []byte) (int, error) {
	if !p.taken {
		if p.done != nil {
			p.res = <-p.done
		}
		p.taken, p.b = true, p.b[:p.res.n]
		if p.res.err != nil && !errors.Is(p.res.err, io.EOF) && p.m.dir == Response {
			p.m.x.cut.Store(true)
		}
	}
	if len(p.b) > 0 {
		n := copy(b, p.b)
		p.b = p.b[n:]
		return n, nil
	}
	if p.res.err != nil {
		return 0, p.res.err // io.EOF too: the message then says EOF again
	}
	return 0, io.EOF // on to the message
}

// finish records the message once: bytes, time, findings and incident.
// The caller holds m.mu.
func (m *message) finish() {
	if m.finished {
		return
	}
	m.finished = true
	m.state.CompareAndSwap(holding, decidedHeld) // a verdict while held: the hold wait can no longer stream the body
	m.ext.Stop()                                 // before the scanner goes back to its pool
	p, t := m.p, m.scanner.Tally()
	raw := m.timed.n // body bytes, not extracted text
	if m.tail != nil {
		raw-- // the byte read to see that the body goes past the inspect limit
	}
	mt := p.metrics()
	mt.InspectedBytes(m.dir, raw)
	mt.InspectionDuration(m.dir, max(m.busy-m.timed.waited, 0))
	for d := inspect.Detector(0); d < inspect.NumDetectors; d++ {
		if t.Counts[d] > 0 {
			mt.Findings(d, t.Counts[d])
		}
	}
	m.x.inspected.Add(raw)
	parts := maskedParts(m.ext.Parts())
	switch {
	case m.block != nil:
		p.recordIncident(m.x, m.dir, *m.block, "block", m.phase(), t, parts)
	case m.logged.Action == Log:
		p.recordIncident(m.x, m.dir, m.logged, "log", "", t, parts)
	}
	if m.decoded != nil {
		_ = m.decoded.Close() // frees the decoders; closing the source is Close's job
	}
	m.scanner.Release()
	m.scanner = nil
	mt.ActiveInspections(-1)
	p.inspects.release()
}

// Close closes the source (unblocking a pending Read) and records the
// message if it ended early.
func (m *message) Close() error {
	err := m.src.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err == nil {
		m.err = errBodyClosed
	}
	if !m.finished {
		m.finish()
	}
	return err
}

var errBodyClosed = errors.New("body closed")

// Failures caused by the client's request body: 408 for one that stopped
// coming (ReadBodyIdle), 400 for a malformed one.
var (
	errClientTimeout = errors.New("client stopped sending the request body")
	errClientBody    = errors.New("malformed request body")
)

// heldBody forwards held bytes, then (when not complete) the rest of the
// message. Its buffer goes back to the proxy's pool on Close, after which
// nothing reads it.
type heldBody struct {
	io.Reader
	m      *message
	pooled *[]byte // nil when the held bytes are not a pool buffer
}

func (h *heldBody) Close() error {
	err := h.m.Close()
	h.m.p.putBuf(h.pooled)
	h.pooled = nil
	return err
}

// bufSize is the size of the proxy's pooled body buffers: the first
// settled bytes of a streaming response, and a held body of unknown or
// large length until it outgrows one.
const bufSize = 64 << 10

// getBuf takes a bufSize buffer from the pool: most messages need one, and
// allocating it anew for each small request is most of the GC work of the
// request path.
func (p *Proxy) getBuf() *[]byte {
	if b, ok := p.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, bufSize)
	return &b
}

// putBuf gives a buffer from getBuf back; nil is ignored.
func (p *Proxy) putBuf(b *[]byte) {
	if b != nil {
		p.bufs.Put(b)
	}
}

// timedReader measures the time spent waiting on the network so the
// inspection histogram shows engine time only.
// It also counts the body bytes read.
type timedReader struct {
	r      io.Reader
	waited time.Duration
	n      int64
	last   int // bytes the last read returned
}

func (t *timedReader) Read(b []byte) (int, error) {
	t0 := time.Now()
	n, err := t.r.Read(b)
	t.waited += time.Since(t0)
	t.n += int64(n)
	t.last = n
	return n, err
}

// maskedParts converts the extractor's multipart parts for the incident,
// masking the client's file names.
func maskedParts(parts []extract.Part) []accesslog.Part {
	if len(parts) == 0 {
		return nil
	}
	out := make([]accesslog.Part, len(parts))
	for i, pt := range parts {
		out[i] = accesslog.Part{Field: pt.Field, File: accesslog.MaskFileName(pt.File), ContentType: pt.ContentType, Found: pt.Found}
	}
	return out
}

// uninspected passes a body without inspection, counting it.
func (p *Proxy) uninspected(dir Direction, body io.ReadCloser, reason string) io.ReadCloser {
	p.metrics().UninspectedMessage(dir, reason, false)
	return &uninspectedBody{ReadCloser: body, p: p, dir: dir, reason: reason}
}

type uninspectedBody struct {
	io.ReadCloser
	p      *Proxy
	dir    Direction
	reason string
}

func (u *uninspectedBody) Read(b []byte) (int, error) {
	n, err := u.ReadCloser.Read(b)
	if n > 0 {
		u.p.metrics().UninspectedBytes(u.dir, u.reason, int64(n))
	}
	return n, err
}

func uninspectableRule(reason string) string { return "uninspectable_" + reason }

// uninspectableBlock is the decision of a fail-closed block of a message
// that cannot be inspected for reason.
func uninspectableBlock(reason string) Decision {
	return Decision{Action: Block, Rule: uninspectableRule(reason), Reason: reason}
}

// uninspectableIncident records a fail-closed block of a message that
// cannot be inspected.
func (p *Proxy) uninspectableIncident(x *exchange, dir Direction, reason string) *incident {
	p.metrics().UninspectedMessage(dir, reason, true)
	return p.recordIncident(x, dir, uninspectableBlock(reason), "block", PhaseHeld, nil, nil)
}

// uninspectableBlock answers a fail-closed uninspectable request.
func (p *Proxy) uninspectableBlock(x *exchange, req *http.Request, dir Direction, reason string) *http.Response {
	return p.blockPage(req, p.uninspectableIncident(x, dir, reason), x.rules)
}

// incident is a recorded incident and what its block page shows.
type incident struct {
	*accesslog.Incident
	// window is the deciding window rule's status text, empty for a
	// per-message rule.
	window string
	// explanation is the deciding rule's message for the block page.
	explanation string
	// reason is why the message could not be inspected, for a fail-closed
	// block; empty otherwise.
	reason string
}

// recordIncident logs an incident and counts it; t and parts may be nil. A
// window rule's status goes into the log record as "window".
func (p *Proxy) recordIncident(x *exchange, dir Direction, d Decision, action, phase string, t *inspect.Tally, parts []accesslog.Part) *incident {
	now := p.now()
	inc := &incident{Incident: &accesslog.Incident{
		ID: accesslog.NewID(now), Time: now, Rule: d.Rule, LogRules: append([]string(nil), d.LogRules...),
		Action: action, Phase: phase, Direction: dir.String(), Client: x.client.String(), User: x.user,
		Host: x.host, Path: x.path, PolicyVersion: x.rules.Version(), Parts: parts,
	}, explanation: d.Message, reason: d.Reason}
	if t != nil {
		for det := inspect.Detector(0); det < inspect.NumDetectors; det++ {
			if t.Counts[det] > 0 {
				inc.Findings = append(inc.Findings, accesslog.Finding{Detector: det.String(), Count: t.Counts[det], Samples: t.Samples(det)})
			}
		}
	}
	rec := p.records()
	if d.Window != nil {
		inc.window = d.Window.String()
		if rec.Logger != nil {
			rec.Logger = rec.Logger.With(zap.Object("window", *d.Window))
		}
	}
	rec.Incident(inc.Incident)
	mt := p.metrics()
	mt.Incident(d.Rule, action == "block")
	for _, r := range d.LogRules { // every matching log rule counts once, also under a block
		if r != d.Rule {
			mt.Incident(r, false)
		}
	}
	x.incident.Store(&inc.ID)
	if action == "block" {
		mt.Block(dir, phase)
		x.setOutcome(OutcomeBlocked)
		x.block.Store(inc)
	}
	return inc
}

// countingBody counts the bytes read through it.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// responseBody counts the bytes sent to the client and writes the access
// line when goproxy closes it.
type responseBody struct {
	io.ReadCloser
	p      *Proxy
	x      *exchange
	status int
}

// Read counts what goes down. A read error other than EOF (the upstream
// dropped the connection mid-body, a body idle timeout) marks the exchange
// cut, inspected body or not: the client must see an aborted connection,
// never a clean end of a truncated body.
func (r *responseBody) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.x.bytesDown.Add(int64(n))
	if err != nil && !errors.Is(err, io.EOF) {
		r.x.cut.Store(true)
	}
	return n, err
}

func (r *responseBody) Close() error {
	err := r.ReadCloser.Close()
	r.p.logAccess(r.x, r.status)
	return err
}

func hasBody(body io.ReadCloser, length int64) bool {
	return body != nil && body != http.NoBody && length != 0
}

// mediaType is the Content-Type without parameters, lower case.
func mediaType(h http.Header) string {
	ct := h.Get("Content-Type")
	if ct == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(ct))
}
