package extract

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/inspect"
)

// TestWrappedBase64InXML (red-team review 13): a file as base64 in XML, wrapped at 76
// characters by a MIME encoder (Java's Base64.getMimeEncoder, .NET's
// InsertLineBreaks) and indented by a pretty-printer, or with its CRs
// written as &#13; by the serializer. Each line decodes apart: a third of
// the IDs were cut and the header lost (1 passport of 1000); the breaks
// with their indentation and &#13; now join the lines.
func TestWrappedBase64InXML(t *testing.T) {
	list := csvBytes(review13Passports())
	full := csvBytes(csvRows(corpus.Records(13, 1000)))
	wrap := func(data []byte, indent, eol string) []byte {
		s := base64.StdEncoding.EncodeToString(data)
		var b strings.Builder
		b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n  <soap:Body>\n    <UploadFile>\n      <fileName>customers.csv</fileName>\n      <content>")
		for i := 0; i < len(s); i += 76 {
			b.WriteString(eol + indent + s[i:min(i+76, len(s))])
		}
		b.WriteString("\n      </content>\n    </UploadFile>\n  </soap:Body>\n</soap:Envelope>\n")
		return []byte(b.String())
	}
	review13CheckPassports(t, map[string][]byte{
		"indented":  wrap(list, "        ", "\n"),
		"&#13; eol": wrap(list, "", "&#13;\n"),
	})
	e := newTestEngine(t)
	for name, body := range map[string][]byte{"indented": wrap(full, "        ", "\n"), "&#13; eol": wrap(full, "", "&#13;\n")} {
		got := extract(t, e, body, "", Limits{}, 0)
		if ids := got.counts[inspect.ResidentID]; ids < 1000 {
			t.Errorf("%s, full list: %d of 1000 IDs, %d mobiles, reasons %v", name, ids, got.counts[inspect.Mobile], got.reasons)
		}
	}
}
