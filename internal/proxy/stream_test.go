package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// sseHandler sends events as server-sent events, flushing each. With next
// not nil it waits for the test to receive each event before sending the
// next one.
func sseHandler(events []string, next <-chan struct{}) http.HandlerFunc {
	return streamHandler("text/event-stream", events, next)
}

// streamHandler is sseHandler for a live stream of any content type.
func streamHandler(ctype string, events []string, next <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		for _, ev := range events {
			if _, err := io.WriteString(w, ev); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			if next == nil {
				continue
			}
			select {
			case <-next:
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Second): // the test gave up
				return
			}
		}
	}
}

// cleanEvents are three events of a clean stream, each in one line.
func cleanEvents() []string {
	var evs []string
	for i := range 3 {
		evs = append(evs, fmt.Sprintf("data: event %d of a clean stream\n\n", i))
	}
	return evs
}

// receiveEach reads events from url one by one: each must arrive while
// the upstream waits for the test to receive it (it sends the next one on
// next).
func receiveEach(t *testing.T, client *http.Client, url string, events []string, next chan<- struct{}) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for i, ev := range events {
		got := make(chan string, 1)
		go func() {
			b := make([]byte, len(ev))
			n, _ := io.ReadFull(resp.Body, b)
			got <- string(b[:n])
		}()
		select {
		case g := <-got:
			if g != ev {
				t.Fatalf("event %d: got %q, want %q", i, g, ev)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("event %d not delivered while the upstream waits for more", i)
		}
		select {
		case next <- struct{}{}:
		case <-time.After(3 * time.Second):
			t.Fatalf("event %d came only after the upstream stopped waiting for it to be received", i)
		}
	}
}

// TestStreamedResponseNotDelayed: a response that trickles (server-sent
// events, a chat answer streamed token by token) reaches the client event
// by event: each is inspected and forwarded when it arrives, not when the
// next one comes or the stream ends.
func TestStreamedResponseNotDelayed(t *testing.T) {
	next := make(chan struct{})
	up := httptest.NewServer(sseHandler(cleanEvents(), next))
	t.Cleanup(up.Close)
	p := &Proxy{Policy: (&byteRules{settings: Settings{HoldSize: 1 << 20}}).policy()}
	client := proxyClient(t, startProxy(t, p), nil)
	receiveEach(t, client, up.URL+"/events", cleanEvents(), next)
}

// TestStreamedResponseNotDelayedTLS: the same through interception, under
// the default policy (bodies up to 1 MiB are held), with Chinese text and
// CRLF line breaks.
func TestStreamedResponseNotDelayedTLS(t *testing.T) {
	events := []string{
		"event: token\r\ndata: {\"delta\":\"你好\"}\r\n\r\n",
		"event: token\r\ndata: {\"delta\":\"，今天天气不错\"}\r\n\r\n",
		"event: done\r\ndata: [DONE]\r\n\r\n",
	}
	next := make(chan struct{})
	e := newPIEnv(t, compilePolicy(t), sseHandler(events, next))
	for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
		t.Run(scheme, func(t *testing.T) {
			receiveEach(t, e.client, base+"/chat", events, next)
		})
	}
}

// TestNDJSONStreamNotHeld: a chat answer streamed as NDJSON (as Ollama's
// API does), chunked and under the default policy's 1 MiB hold size,
// reaches the client line by line: a live stream is never held whole, and
// each line is released when it ends, not when the next one comes.
func TestNDJSONStreamNotHeld(t *testing.T) {
	lines := []string{
		"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"你好\"},\"done\":false}\n",
		"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"，今天 12 点见\"},\"done\":false}\n",
		"{\"model\":\"m\",\"done\":true,\"total_duration\":4883291}\n",
	}
	for _, ctype := range []string{"application/x-ndjson", "application/jsonl; charset=utf-8"} {
		next := make(chan struct{})
		e := newPIEnv(t, compilePolicy(t), streamHandler(ctype, lines, next))
		for scheme, base := range map[string]string{"http": e.plain.URL, "https": e.tls.URL} {
			t.Run(ctype+" "+scheme, func(t *testing.T) {
				receiveEach(t, e.client, base+"/api/chat", lines, next)
			})
		}
	}
}

// TestEventStreamCut: a live stream (server-sent events, NDJSON) whose
// records each carry one resident ID is cut, once its first record went
// out, before the client has the 50 IDs of the default block threshold.
func TestEventStreamCut(t *testing.T) {
	recs := corpus.Records(17, 60)
	streams := map[string][]string{
		"text/event-stream":    {"event: open\ndata: customer feed\n\n"},
		"application/x-ndjson": {"{\"event\":\"open\"}\n"},
	}
	for i, r := range recs {
		streams["text/event-stream"] = append(streams["text/event-stream"], fmt.Sprintf("id: %d\ndata: {\"customer\":%d,\"id_card\":\"%s\"}\n\n", i, i, r.ResidentID))
		streams["application/x-ndjson"] = append(streams["application/x-ndjson"], fmt.Sprintf("{\"customer\":%d,\"id_card\":\"%s\"}\n", i, r.ResidentID))
	}
	for ctype, events := range streams {
		for _, scheme := range []string{"http", "https"} {
			t.Run(ctype+" "+scheme, func(t *testing.T) {
				next := make(chan struct{}) // closed once the first event arrived: the rest come at once
				e := newPIEnv(t, compilePolicy(t), streamHandler(ctype, events, next))
				base := map[string]string{"http": e.plain.URL, "https": e.tls.URL}[scheme]
				resp, err := e.client.Get(base + "/feed")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				r := bufio.NewReader(resp.Body)
				if line, err := r.ReadString('\n'); err != nil || line != strings.SplitAfter(events[0], "\n")[0] {
					t.Fatalf("first event: %q, %v", line, err)
				}
				close(next)
				got, rerr := io.ReadAll(r)
				if resp.StatusCode != http.StatusOK || rerr == nil {
					t.Errorf("status %d, read error %v after %d bytes; want the stream cut", resp.StatusCode, rerr, len(got))
				}
				if n := countIDs(recs, got); n >= 50 {
					t.Errorf("client received %d IDs, want fewer than 50", n)
				}
				assertNoRawValues(t, e.logs.String(), recs)
				assertMetric(t, e.reg, "dlp_blocks_total", map[string]string{"direction": "response", "phase": "streaming"}, 1)
			})
		}
	}
}
