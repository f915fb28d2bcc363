package main

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestCopyReadAhead(t *testing.T) {
	errRead := errors.New("disk on fire")
	tests := []struct {
		name    string
		size    int
		src     func(data []byte) io.Reader
		wantErr error
	}{
		{name: "empty", size: 0, src: func(d []byte) io.Reader { return bytes.NewReader(d) }},
		{name: "small", size: 1000, src: func(d []byte) io.Reader { return bytes.NewReader(d) }},
		{name: "one buffer exactly", size: readAheadBuffer, src: func(d []byte) io.Reader { return bytes.NewReader(d) }},
		{name: "many buffers", size: 10*readAheadBuffer + 7, src: func(d []byte) io.Reader { return bytes.NewReader(d) }},
		{name: "short reads", size: 3*readAheadBuffer + 1, src: func(d []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(d)) }},
		{name: "data with EOF", size: 5000, src: func(d []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(d)) }},
		{name: "read error", size: 2 * readAheadBuffer, wantErr: errRead, src: func(d []byte) io.Reader {
			return io.MultiReader(bytes.NewReader(d), iotest.ErrReader(errRead))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := make([]byte, tt.size)
			for i := range data {
				data[i] = byte(i * 7)
			}
			var got bytes.Buffer
			n, err := copyReadAhead(&got, tt.src(data))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
				t.Fatalf("copied %d bytes (equal %v), want %d", n, bytes.Equal(got.Bytes(), data), len(data))
			}
		})
	}
}

// failingWriter takes limit bytes, then fails.
type failingWriter struct{ limit int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, io.ErrShortWrite
	}
	w.limit -= len(p)
	return len(p), nil
}

// TestCopyReadAheadWriteError: a failing writer stops the copy, and the
// reader goes no more than its ring ahead. The reader goroutine is gone
// when copyReadAhead returns: under -race, reading its count here would
// otherwise be reported.
func TestCopyReadAheadWriteError(t *testing.T) {
	src := &countingReader{r: bytes.NewReader(make([]byte, 100*readAheadBuffer))}
	n, err := copyReadAhead(&failingWriter{limit: readAheadBuffer + 10}, src)
	if !errors.Is(err, io.ErrShortWrite) || n != readAheadBuffer+10 {
		t.Fatalf("n, err = %d, %v; want %d, %v", n, err, readAheadBuffer+10, io.ErrShortWrite)
	}
	if src.reads > 2+readAheadDepth {
		t.Fatalf("%d reads for 2 buffers written: the reader ran ahead without bound", src.reads)
	}
}

// countingReader counts its reads. copyReadAhead reads it from one
// goroutine, and the test reads the count only after that one has ended.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}
