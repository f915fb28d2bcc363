package extract

import (
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// TestZipOfNamedPhotos: a zip of scanned ID cards, each named after its
// holder's name and ID (张三_110101199003078670.jpg): the photos hold
// nothing readable, the member names (local headers and the central
// directory, read as text) 200 IDs. They counted 0 while '_' glued the ID
// to the name; whole, in 1-byte writes and in random cuts.
func TestZipOfNamedPhotos(t *testing.T) {
	recs := corpus.Records(31, 200)
	files := make([]zfile, len(recs))
	for i, r := range recs {
		files[i] = zfile{name: photoName(r), data: photo}
	}
	checkIDs(t, newTestEngine(t), buildZip(t, files...), "application/zip", len(recs))
}
