package inspect

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/dlpproxy/dlpproxy/internal/corpus"
)

// classifyBytewise is the definition classify implements: one byte at a
// time. With dropGuarded (the VBMI kernel), a guarded separator before a
// byte of the block that starts no value is no class byte, nor is a
// guarded bar after a byte of the block that opens no table row, nor a
// guarded tab without cell bytes on both sides in the block.
func classifyBytewise(t *stopTable, blk *[64]byte, dropGuarded bool) (class, digit, pair uint64) {
	for k, c := range blk {
		f := t.flags[c]
		if dropGuarded && f&flagGuarded != 0 && k < 63 && t.flags[blk[k+1]]&flagValueStart == 0 {
			f &^= flagClass
		}
		if dropGuarded && f&flagGuardedBar != 0 && k > 0 && t.flags[blk[k-1]]&flagRowStart == 0 {
			f &^= flagClass
		}
		if dropGuarded && c == t.tab && (k > 0 && t.flags[blk[k-1]]&flagCell == 0 || k < 63 && t.flags[blk[k+1]]&flagCell == 0) {
			f &^= flagClass
		}
		class |= uint64(f>>7&1) << k
		digit |= uint64(f>>6&1) << k
		pair |= uint64(f>>5&1) << k
	}
	return class, digit, pair
}

// checkClassify compares both classifiers with the bytewise definition.
func checkClassify(t *testing.T, blk *[64]byte) {
	t.Helper()
	tables := map[string]*stopTable{"text": textStops, "text in a table": tableStops, "text in a tab table": tabTableStops, "an array of rows": gridStops, "text in a comma table": commaTableStops}
	for _, c := range csvTables {
		tables[fmt.Sprintf("csv %q", c.delim)] = c.stops
	}
	for name, table := range tables {
		wc, wd, wp := classifyBytewise(table, blk, false)
		if c, d, p := table.classifyPortable(blk); c != wc || d != wd || p != wp {
			t.Fatalf("%s portable: got %x %x %x, want %x %x %x for % x", name, c, d, p, wc, wd, wp, blk[:])
		}
		// The block at every position of a batch, with every kernel.
		for _, k := range availableKernels() {
			wc, wd, wp := classifyBytewise(table, blk, k == kernelVBMI)
			for n := 1; n <= batchBlocks; n++ {
				src := make([]byte, 64*n)
				copy(src[64*(n-1):], blk[:])
				var out blockMasks
				table.classify(src, n, &out, k)
				if c, d, p := out.class[n-1], out.digit[n-1], out.pair[n-1]; c != wc || d != wd || p != wp {
					t.Fatalf("%s kernel %s, block %d of %d: got %x %x %x, want %x %x %x for % x", name, k, n, n, c, d, p, wc, wd, wp, blk[:])
				}
			}
		}
	}
}

// availableKernels lists the block classifiers this CPU runs (a CPU with
// AVX-512 VBMI has AVX2).
func availableKernels() []kernel {
	ks := []kernel{kernelPortable}
	if bestKernel >= kernelAVX2 {
		ks = append(ks, kernelAVX2)
	}
	if bestKernel >= kernelVBMI {
		ks = append(ks, kernelVBMI)
	}
	return ks
}

// TestClassify puts every byte value at every position of a block, and
// tries random blocks.
func TestClassify(t *testing.T) {
	t.Logf("kernels: %v", availableKernels())
	var blk [64]byte
	for v := range 256 {
		for k := range blk {
			blk[k] = byte(v + k*7)
		}
		checkClassify(t, &blk)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		for k := range blk {
			blk[k] = byte(r.Uint32())
		}
		checkClassify(t, &blk)
	}
}

// TestKernelsCountTheSame scans the benchmark corpora with every block
// classifier: the counts must agree.
func TestKernelsCountTheSame(t *testing.T) {
	// Tables inside text between stretches of random bytes, whose bars
	// the VBMI kernel drops outside a table.
	rows, _ := customerRows(t, 17, 20, false)
	var tables []byte
	noise := corpus.Binary(4, 1<<16).Data
	for k, form := range []string{"markdown", "psql", "mysql", "markdown bare"} {
		tables = append(tables, noise[k<<12:(k+1)<<12]...)
		tables = append(tables, "\n"+chatPrompt+textTables(rows)[form]...)
	}
	// Arrays of rows between random bytes, whose '[' the VBMI kernel drops
	// before a byte that starts no row.
	var grids []byte
	for k, indent := range []bool{false, true, false} {
		grid := mustJSON(t, map[string]any{"values": gridRows(corpus.Records(uint64(20+k), 20))}, indent)
		if k == 2 {
			grid = asciiJSON(grid)
		}
		grids = append(grids, noise[k<<12:(k+1)<<12]...)
		grids = append(grids, grid...)
	}
	for name, body := range map[string][]byte{
		"clean":                  corpus.CleanWeb(3, 1<<20).Data,
		"pi_csv":                 corpus.PIDenseCSV(3, 1<<20).Data,
		"binary":                 corpus.Binary(3, 1<<20).Data,
		"tables in text":         tables,
		"arrays of rows":         grids,
		"comma rows in a prompt": append(noise[:1<<12:1<<12], chatRequest(t, "请整理：\n"+csvLines(corpus.Records(23, 20), "姓名,护照号,住址", "\n"))...),
	} {
		want := kernelsCount(t, name, body)
		if name == "tables in text" && (want[Name] != 20 || want[Passport] != 20) {
			t.Errorf("%s: counts %v, want 20 names and passports", name, want)
		}
		if name == "comma rows in a prompt" && (want[Name] != 20 || want[Passport] != 20 || want[Address] != 20) {
			t.Errorf("%s: counts %v, want 20 names, passports and addresses", name, want)
		}
		if name == "arrays of rows" && want != gridWant(60) {
			t.Errorf("%s: counts %v, want %v", name, want, gridWant(60))
		}
	}
}

// kernelsCount scans body with every kernel the machine runs, reports an
// error naming body name when they count differently, and returns the
// portable kernel's counts.
func kernelsCount(t *testing.T, name string, body []byte) [NumDetectors]int {
	t.Helper()
	var want [NumDetectors]int
	for i, k := range availableKernels() {
		e := newTestEngine(t)
		e.kernel = k
		got := scanAll(e, body)
		if i == 0 {
			want = got
		} else if got != want {
			t.Errorf("%s: kernel %s counts %v, portable counts %v", name, k, got, want)
		}
	}
	return want
}

// TestNibbleTablesOverflow: a flag needs one bit per distinct low-nibble
// set, and a table needing more than sixteen is refused (the stop tables
// fit, or the package would not initialise).
func TestNibbleTablesOverflow(t *testing.T) {
	var diagonal [256]byte // 0x00, 0x11, ... 0xFF: sixteen low-nibble sets
	for h := range 16 {
		diagonal[h<<4|h] = flagClass
	}
	if _, ok := newNibbleTables(&diagonal); !ok {
		t.Error("sixteen bits refused")
	}
	diagonal['0'] = flagDigit
	if _, ok := newNibbleTables(&diagonal); ok {
		t.Error("seventeen bits accepted")
	}
}

// TestBlockMasksLayout pins the offsets classify_amd64.s writes at.
func TestBlockMasksLayout(t *testing.T) {
	var m blockMasks
	if d, p := unsafe.Offsetof(m.digit), unsafe.Offsetof(m.pair); d != 8*batchBlocks || p != 16*batchBlocks {
		t.Fatalf("blockMasks: digit at %d, pair at %d; classify_amd64.s writes at 64 and 128", d, p)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte("<th>姓名为张三</th> 110101199003078670 a@b.c %31 \\u0031 &#49; １２"))
	f.Add([]byte("name,phone\n\"x\",13812345678\t0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var blk [64]byte
		copy(blk[:], data)
		checkClassify(t, &blk)
	})
}

// BenchmarkClassify is the block search's classification alone, per kernel,
// over the clean corpus in batches.
func BenchmarkClassify(b *testing.B) {
	body := corpora()["clean"]
	for _, k := range availableKernels() {
		b.Run(k.String(), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var out blockMasks
			for b.Loop() {
				for off := 0; off+64*batchBlocks <= len(body); off += 64 * batchBlocks {
					textStops.classify(body[off:], batchBlocks, &out, k)
				}
			}
		})
	}
}

// settledTrace scans body cut at cuts and returns the counts and the
// settled offset after each write.
func settledTrace(e *Engine, body []byte, cuts []int) ([NumDetectors]int, []int64) {
	s := e.NewScanner()
	defer s.Release()
	var settled []int64
	prev := 0
	for _, c := range append(cuts, len(body)) {
		s.Write(body[prev:c])
		settled = append(settled, s.Settled())
		prev = c
	}
	s.Close()
	return s.Tally().Counts, settled
}

// kernelMismatch returns how scanning body cut at cuts differs between the
// kernels (counts, or where a write left the settled offset), or "".
func kernelMismatch(engines map[kernel]*Engine, body []byte, cuts []int) string {
	want, wantSettled := settledTrace(engines[kernelPortable], body, cuts)
	for k, e := range engines {
		got, settled := settledTrace(e, body, cuts)
		if got != want || !slices.Equal(settled, wantSettled) {
			return fmt.Sprintf("kernel %s: counts %v settled %v; portable: %v %v", k, got, settled, want, wantSettled)
		}
	}
	return ""
}

// kernelEngines returns one engine per kernel this CPU runs.
func kernelEngines(t testing.TB) map[kernel]*Engine {
	engines := map[kernel]*Engine{}
	for _, k := range availableKernels() {
		e := newTestEngine(t)
		e.kernel = k
		engines[k] = e
	}
	return engines
}

// kernelNeighbours are what the generated bodies of
// TestKernelsAgreeOnDigitRuns put between runs of digits: the bytes the
// scan loop tests around a run (joiners, separators, letters, '+'), the
// escapes, labels and full-width forms, and broken pieces of them.
var kernelNeighbours = []string{
	" ", " ", "-", "- ", " -", "  ", ":", "=", ": ", "=\"", "\"", "'", ",", ".", ";", "/", "\n", "\t",
	"+", "+86 ", "x", "X", "u", "E", "EA", "a", "f", "z", "\\", "\\u", "\\u0031", "\\uff11", "%", "%31",
	"%EF%BC%91", "&", "&#", "&#49;", "&#x31;", "#", "@", "{", "}", "<", "<th>", "年", "，", "：", "１",
	"Ｘ", "\xef", "\xef\xbc", "\xbc\x91", "姓名:", "手机 ", "卡号=", "护照：", "为", "是",
	// ':' and '=' before every kind of byte (the VBMI kernel drops those
	// before a byte that starts no value), labelled names and addresses,
	// JSON keys, query strings and table cells around them.
	"::", "==", ":=", ":-", "=-", ":+", ":x", "=a", ":,", "=\n", ":\\u", "=%", ":%3", ": \"", "= ",
	"tel:", "a:b", "name=", "name:", "\"phone\":", "\"name\":\"", "\":\"", "id=", "http://a.cn/?id=",
	"姓名=", "姓名:张三", "name=张三", "\"name\":\"张三\"", "姓名: 李四,", "地址:北京市朝阳区建国路88号",
	"<td>", "</td><td>", "<tr><td>姓名:</td><td>", "<th>手机</th>", "</tr>", "<td>a:b=c</td>", "\r\n",
	// The other group joiners, whole, doubled and cut.
	"\u3000", "\u3000", "－", "－", "\u00a0", "\u00a0", "&nbsp;", "&#160;", "&#xa0;", "\u3000\u3000", "\xe3\x80", "\xc2", "\xef\xbc", "&nbsp",
	// Table cells and e-mail addresses with '@' and '＠' in every spelling.
	"|", " | ", "; ", "a@qq.com", "a＠qq.com", "a%EF%BC%A0qq.com", "a\\uff20qq.com", "a%40qq.cn", "\xef\xbc\xa0",
}

// digitRunsBody returns a body of runs of one to nineteen digits (short
// runs mostly) between random neighbours, and sometimes a valid value.
func digitRunsBody(r *rand.Rand, g advGen) []byte {
	var b strings.Builder
	for b.Len() < 1500 {
		b.WriteString(kernelNeighbours[r.IntN(len(kernelNeighbours))])
		n := 1 + r.IntN(7)
		switch k := r.IntN(20); {
		case k == 0:
			b.WriteString(g.value())
			n = 0
		case k >= 14:
			n = 1 + r.IntN(19)
		}
		for range n {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	return []byte(b.String())
}

// TestKernelsAgreeOnDigitRuns: every block classifier counts the same and
// settles each write at the same offset, on runs of digits between random
// neighbours (in free text, in the cells of ',', ';' and Markdown tables
// and in HTML table cells) and on the adversarial values of advGen,
// written in random pieces.
func TestKernelsAgreeOnDigitRuns(t *testing.T) {
	engines := kernelEngines(t)
	t.Logf("kernels: %v", availableKernels())
	r := rand.New(rand.NewPCG(7, 8))
	g := advGen{r, new(int)}
	for n := range 3000 {
		var body []byte
		switch n % 6 {
		case 0:
			body = digitRunsBody(r, g)
		case 1:
			body = append([]byte("姓名,身份证号,手机号,银行卡号,护照号码,地址\n"), digitRunsBody(r, g)...)
		case 2:
			body = append([]byte("<table><tr><th>姓名</th><th>手机号</th><th>地址</th></tr><tr><td>"), digitRunsBody(r, g)...)
		case 3:
			body = append([]byte("姓名;身份证号;手机号;银行卡号;护照号码;地址\n"), digitRunsBody(r, g)...)
		case 4:
			body = append([]byte("| 姓名 | 身份证号 | 手机号 | 银行卡号 | 护照号码 | 地址 |\n|---|---|---|---|---|---|\n"), digitRunsBody(r, g)...)
		default:
			body = g.frame(g.body())
		}
		var cuts []int
		for c := r.IntN(100); c < len(body); c += 1 + r.IntN(700) {
			cuts = append(cuts, c)
		}
		if why := kernelMismatch(engines, body, cuts); why != "" {
			t.Fatalf("%q cut at %v: %s", body, cuts, why)
		}
	}
}
