package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dlpproxy/dlpproxy/internal/ca"
	"github.com/dlpproxy/dlpproxy/internal/corpus"
	"github.com/dlpproxy/dlpproxy/internal/policy"
)

// TestBrowserSeesBlockPage: an employee's browser (headless Chromium on
// Linux, trusting the interception CA through its NSS database, the way
// `ca init` says) submits a web form carrying a customer list over HTTPS
// through the built proxy. The browser shows the block page, naming the
// rule, its message and the contact from the policy, the counts and the
// same incident id as the server's log, with no raw value; the upload never
// reaches the site.
func TestBrowserSeesBlockPage(t *testing.T) {
	chromium := needProgram(t, "chromium")
	certutil := needProgram(t, "certutil") // Debian: libnss3-tools

	records := corpus.Records(11, 200)
	list := corpus.CSV(records, corpus.CSVOptions{}).Data
	var posts atomic.Int32
	f := newFixtureServing(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
			fmt.Fprint(w, "<html><body>UPLOADED</body></html>")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, formPage(list))
	}))
	// The security team's own words: whom to ask, and why this rule blocks.
	pol := strings.Replace(string(policy.DefaultYAML()), "settings:\n",
		"settings:\n  contact: 信息安全部 security@example.com\n", 1)
	pol = strings.Replace(pol, "        bank_card: 50\n    action: block\n",
		"        bank_card: 50\n    action: block\n    message: 客户名单请通过文件交换平台发送。 Send customer lists through the file exchange.\n", 1)
	writeFile(t, f.policyPath, []byte(pol))
	proxyAddr, serverLog := f.startBinary(t)

	// The employee's browser has run before: Chromium 146 and later made
	// its NSS database under ~/.local/share. Then the CA is trusted by
	// running the steps `ca init` prints for Chromium on Linux, as they are.
	home := t.TempDir()
	browserDB := filepath.Join(home, ".local", "share", "pki", "nssdb")
	if err := os.MkdirAll(browserDB, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(certutil, "-N", "--empty-password", "-d", "sql:"+browserDB).CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v\n%s", err, out)
	}
	steps := chromiumCASteps(t, filepath.Join(f.caDir, "ca.crt"))
	sh := exec.Command("/bin/sh", "-ec", steps) // pasted into one shell
	sh.Env = append(os.Environ(), "HOME="+home)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("ca init's steps:\n%s\n%v\n%s", steps, err, out)
	}
	// A second database would hide the one the browser has (and the
	// employee's own certificates in it) from then on.
	if _, err := os.Stat(filepath.Join(home, ".pki", "nssdb")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ca init's steps made a second NSS database ~/.pki/nssdb (%v); the browser's is %s", err, browserDB)
	}
	if out, err := exec.Command(certutil, "-L", "-d", "sql:"+browserDB, "-n", "dlpproxy-ca").CombinedOutput(); err != nil {
		t.Errorf("the CA is not in the browser's NSS database: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(home, "profile"),
		// HTTPS through the proxy, which refuses CONNECT to the browser's
		// own background hosts (port 443 is not in connect_ports); plain
		// HTTP to a closed port: nothing leaves 127.0.0.1.
		"--proxy-server=https="+proxyAddr+";http=127.0.0.1:1",
		"--proxy-bypass-list=<-loopback>", // Chromium sends 127.0.0.1 direct unless told
		"--virtual-time-budget=10000",     // let the form submit before the DOM is dumped
		"--dump-dom", f.upstream.URL+"/form")
	cmd.Env = append(os.Environ(), "HOME="+home)
	dieWithTest(cmd)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	page := string(out)

	incident := regexp.MustCompile(`<code>([0-9a-f]{32})</code>`).FindStringSubmatch(page)
	if incident == nil {
		t.Fatalf("the browser shows no block page with an incident id:\n%s\nchromium: %s", page, stderr.String())
	}
	for _, want := range []string{
		"已拦截", "Blocked: this request appears to carry bulk personal information",
		"block-bulk-ids-and-cards", "居民身份证号 resident ID numbers",
		"客户名单请通过文件交换平台发送。 Send customer lists through the file exchange.",
		"请联系：信息安全部 security@example.com，并提供事件编号",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("block page lacks %q:\n%s", want, page)
		}
	}
	// The counts are those when the rule's limit (50) was reached, which
	// depends on where the browser's writes split the body.
	n := -1
	if count := regexp.MustCompile(`<code>cn_resident_id</code></td><td>(\d+)</td>`).FindStringSubmatch(page); count != nil {
		n, _ = strconv.Atoi(count[1])
	}
	if n < 50 || n > len(records) {
		t.Errorf("block page counts %d resident ids; want 50 to %d", n, len(records))
	}
	if !strings.Contains(serverLog.String(), `"id":"`+incident[1]+`"`) {
		t.Errorf("incident %s on the page is not in the server's log", incident[1])
	}
	for _, r := range records {
		for _, v := range []string{r.ResidentID, r.Mobile, r.BankCard, r.Email} {
			if strings.Contains(page, v) {
				t.Fatalf("the block page shows a raw value")
			}
		}
	}
	// The browser's own requests to other hosts were refused, never dialled.
	for _, m := range regexp.MustCompile(`"host":"([^"]*)","path":"[^"]*","status":\d+,"outcome":"(\w+)"`).FindAllStringSubmatch(serverLog.String(), -1) {
		if !strings.HasPrefix(m[1], "127.0.0.1:") && m[2] != "denied" {
			t.Errorf("the test's browser reached %s (outcome %s); only 127.0.0.1 may be contacted", m[1], m[2])
		}
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("the site received %d uploads; want none", n)
	}
}

// chromiumCASteps returns the shell lines `ca init` prints under "Chrome /
// Chromium / Edge on Linux" for the certificate at cert, as one script.
func chromiumCASteps(t *testing.T, cert string) string {
	t.Helper()
	_, section, ok := strings.Cut(ca.InstallInstructions(cert), "\nChrome / Chromium / Edge on Linux")
	section, _, _ = strings.Cut(section, "\n\n")
	var steps []string
	for line := range strings.SplitSeq(section, "\n") {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "  (") {
			steps = append(steps, strings.TrimSpace(line))
		}
	}
	if !ok || len(steps) == 0 {
		t.Fatal("ca init prints no steps for Chromium on Linux")
	}
	return strings.Join(steps, "\n")
}

// formPage is a page that submits list in a form as soon as it loads. The
// list is not in the page as text (it is XORed with 0x55 and rebuilt by the
// script), so the page itself passes the proxy and only the upload is
// personal information.
func formPage(list []byte) string {
	codes := make([]string, len(list))
	for i, c := range list {
		codes[i] = fmt.Sprint(c ^ 0x55)
	}
	return `<!doctype html><html><head><meta charset="utf-8"><title>Upload</title></head><body>
<form id="f" method="POST" action="/upload"><textarea name="customers" id="c"></textarea></form>
<script>
var a = [` + strings.Join(codes, ",") + `];
var b = new Uint8Array(a.length);
for (var i = 0; i < a.length; i++) b[i] = a[i] ^ 0x55;
document.getElementById("c").value = new TextDecoder().decode(b);
document.getElementById("f").submit();
</script></body></html>`
}
