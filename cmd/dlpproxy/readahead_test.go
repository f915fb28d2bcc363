package main

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
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
			n, err := copyReadAhead(&got, tt.src(data), newReadAheadPool())
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

// TestCopyReadAheadWriteError: a failing writer stops the copy at once,
// and the reader goes no more than its ring ahead.
func TestCopyReadAheadWriteError(t *testing.T) {
	src := &countingReader{r: bytes.NewReader(make([]byte, 100*readAheadBuffer))}
	n, err := copyReadAhead(&failingWriter{limit: readAheadBuffer + 10}, src, newReadAheadPool())
	if !errors.Is(err, io.ErrShortWrite) || n != readAheadBuffer+10 {
		t.Fatalf("n, err = %d, %v; want %d, %v", n, err, readAheadBuffer+10, io.ErrShortWrite)
	}
	time.Sleep(50 * time.Millisecond) // let the reader see the stop
	if reads := src.reads.Load(); reads > 1+readAheadDepth {
		t.Fatalf("%d reads for 2 buffers written: the reader ran ahead without bound", reads)
	}
}

// TestCopyReadAheadWriteErrorBlockedSource: a write error returns even
// while the source blocks in a read (a stalled pipe on stdin).
func TestCopyReadAheadWriteErrorBlockedSource(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write(make([]byte, 1000)) }() // then nothing more
	done := make(chan error, 1)
	go func() {
		_, err := copyReadAhead(&failingWriter{limit: 10}, pr, newReadAheadPool())
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, io.ErrShortWrite) {
			t.Fatalf("err = %v, want %v", err, io.ErrShortWrite)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("copyReadAhead waited for a source blocked in Read")
	}
}

// countingReader counts its reads.
type countingReader struct {
	r     io.Reader
	reads atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.r.Read(p)
}

// TestCopyReadAheadReusesBuffers: copies sharing a pool reuse its buffers,
// so a scan of many small files does not allocate a ring (768 KiB) for
// each (a pool may drop some: under the race detector it drops a quarter).
func TestCopyReadAheadReusesBuffers(t *testing.T) {
	const copies = 200
	bufs := newReadAheadPool()
	small := []byte("order 1 total 12.00 at 2026-11-27\n")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range copies {
		var got bytes.Buffer
		if _, err := copyReadAhead(&got, bytes.NewReader(small), bufs); err != nil || !bytes.Equal(got.Bytes(), small) {
			t.Fatalf("copy: %q, %v", got.Bytes(), err)
		}
	}
	runtime.ReadMemStats(&after)
	ring := readAheadDepth * readAheadBuffer
	if per := int(after.TotalAlloc-before.TotalAlloc) / copies; per > ring/2 {
		t.Errorf("%d bytes allocated per copy, want well under a ring's %d", per, ring)
	}
}
