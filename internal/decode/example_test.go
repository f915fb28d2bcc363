package decode_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/dlpproxy/dlpproxy/internal/decode"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// A proxy wraps a body whose Content-Encoding is "gzip": the recipient gets
// the original compressed bytes, the scanner sees the decompressed text.
func ExampleNewEnforcingReader() {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	_, _ = zw.Write([]byte("order 1, order 2, order 3\n"))
	_ = zw.Close()
	compressed := body.Len()

	encodings, err := decode.ParseEncodings("gzip")
	if err != nil { // *decode.UnsupportedError: uninspectable, policy decides
		fmt.Println(err)
		return
	}
	eng, err := inspect.NewEngine(inspect.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := eng.NewScanner()
	defer s.Release()
	check := func(t *inspect.Tally) error {
		if t.Total() >= 50 {
			return inspect.ErrBlocked
		}
		return nil
	}
	failClosed := func(reason string) error { return fmt.Errorf("uninspectable body: %s", reason) }

	r := decode.NewEnforcingReader(&body, encodings, s, check, failClosed, decode.Limits{})
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	fmt.Println(n == int64(compressed), s.Tally().Bytes, errors.Is(err, inspect.ErrBlocked))
	// Output: true 26 false
}
