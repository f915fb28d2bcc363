package main

import (
	"errors"
	"io"
	"sync"
)

// readAheadBuffer and readAheadDepth size copyReadAhead's ring: three
// 256 KiB buffers, so memory stays flat whatever the input's size.
const (
	readAheadBuffer = 256 << 10
	readAheadDepth  = 3
)

// readChunk is one read of copyReadAhead's reader: the bytes and the error
// the read returned with them.
type readChunk struct {
	b   []byte
	err error
}

// copyReadAhead copies src to dst like io.Copy, reading src on a goroutine
// of its own a few buffers ahead of dst. Reading a file is a copy from the
// page cache that costs about a fifth of scanning it; overlapped with the
// scan on the other core it no longer adds to the wall time. At the end of
// src, or on a read error, the reader goroutine has ended when
// copyReadAhead returns; on a write error it ends after its read in
// progress returns (at once for a file, which the caller then closes).
// The ring's buffers come from bufs (a newReadAheadPool) and go back to it
// after a copy that read to the end, so a scan of many small files does
// not allocate and clear them for each.
func copyReadAhead(dst io.Writer, src io.Reader, bufs *sync.Pool) (int64, error) {
	free := make(chan []byte, readAheadDepth)
	full := make(chan readChunk, readAheadDepth)
	for range readAheadDepth {
		free <- bufs.Get().(*[readAheadBuffer]byte)[:]
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(full)
		for {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				return
			}
			n, err := src.Read(b)
			// At most readAheadDepth chunks exist, so this send never blocks.
			full <- readChunk{b: b[:n], err: err}
			if err != nil {
				return
			}
		}
	}()
	var total int64
	for c := range full {
		if len(c.b) > 0 {
			n, err := dst.Write(c.b)
			total += int64(n)
			if err == nil && n < len(c.b) {
				err = io.ErrShortWrite
			}
			if err != nil {
				return total, err // the reader may still hold a buffer: none go back
			}
		}
		free <- c.b[:cap(c.b)]
		if c.err != nil {
			// The reader has ended: every buffer is in free.
			for range readAheadDepth {
				bufs.Put((*[readAheadBuffer]byte)(<-free))
			}
			if errors.Is(c.err, io.EOF) {
				return total, nil
			}
			return total, c.err
		}
	}
	return total, nil
}

// newReadAheadPool returns a pool of copyReadAhead's buffers.
func newReadAheadPool() *sync.Pool {
	return &sync.Pool{New: func() any { return new([readAheadBuffer]byte) }}
}
