package hostiletest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/bench"
	"lienthong/hub/config"
	"lienthong/hub/hubtest/apicheck"
	"lienthong/internal/buildtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/pades/padestest"
	"lienthong/shared/wire"
)

// bin holds the binaries TestMain builds once.
var bin string

func TestMain(m *testing.M) {
	buildtest.Main(m, &bin, "lienthong/hub/cmd/lienthong-hub", "lienthong/desktop/cmd/lienthong-verify", "lienthong/desktop/cmd/lienthong-clerk")
}

// Memory bounds of the done-when test of issue 14.
const (
	hubMaxRSS = 512 << 20
	cliMaxRSS = 256 << 20
)

// freePort is bench.FreePort for a test.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := bench.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeKeyPair(t *testing.T, base string, kp *certs.KeyPair) (cert, key string) {
	t.Helper()
	k, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, base+".crt", kp.CertificatePEM()), writeFile(t, base+".key", k)
}

// vmHWM reads a process's peak resident set from /proc.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// maxRSS is the peak resident set of a finished child.
func maxRSS(cmd *exec.Cmd) int64 {
	return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
}

type agency struct {
	code string
	kp   *certs.KeyPair
}

// TestHostilePDFs is issue 14's done-when test for PDF bombs: eight
// agencies submit every crafted PDF at once (each agency its own copy, so
// that no check is answered from the hub's memory of an earlier one) to
// lienthong-hub running as its own process; each is refused with
// pdf_too_complex and the hub's peak resident memory stays under 512 MiB.
// Then each file goes through lienthong-verify and lienthong-clerk sign,
// which refuse it, each under 256 MiB.
func TestHostilePDFs(t *testing.T) {
	dir := t.TempDir()
	pki := certstest.New(t)
	hubKP := pki.Hub(t)
	hubCert, hubKey := writeKeyPair(t, filepath.Join(dir, "hub"), hubKP)
	receiptCert, receiptKey := writeKeyPair(t, filepath.Join(dir, "receipt"), pki.Receipts(t))
	roots := writeFile(t, filepath.Join(dir, "roots.pem"), pki.RootPEM())
	var agencies []agency
	type entry struct {
		Code   string `json:"code"`
		Name   string `json:"name"`
		Active bool   `json:"active"`
	}
	var directory []entry
	for i := range 8 {
		code := fmt.Sprintf("000.00.%02d.H49", i+1)
		name := fmt.Sprintf("Sở thứ %d tỉnh Quảng Ninh", i+1)
		agencies = append(agencies, agency{code: code, kp: pki.Agency(t, code, name)})
		directory = append(directory, entry{code, name, true})
	}
	dirJSON, _ := json.Marshal(directory)

	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = fmt.Sprintf("127.0.0.1:%d", freePort(t)), "", filepath.Join(dir, "data")
	cfg.TLSCert, cfg.TLSKey, cfg.Roots = hubCert, hubKey, roots
	cfg.ReceiptCert, cfg.ReceiptKey = receiptCert, receiptKey
	cfg.LogLevel = "warn"
	cfg.PDFChecks = 2 // the memory bound below is for two checks at once
	raw, _ := json.Marshal(cfg)
	cfgPath := writeFile(t, filepath.Join(dir, "hub.json"), raw)
	if out, err := exec.Command(filepath.Join(bin, "lienthong-hub"), "agency", "import", "--config", cfgPath,
		writeFile(t, filepath.Join(dir, "agencies.json"), dirJSON)).CombinedOutput(); err != nil {
		t.Fatalf("agency import: %v\n%s", err, out)
	}

	hub := exec.Command(filepath.Join(bin, "lienthong-hub"), "serve", "--config", cfgPath)
	logFile, err := os.Create(filepath.Join(dir, "hub.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	hub.Stderr = logFile
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		hub.Process.Signal(syscall.SIGTERM)
		hub.Wait()
	})

	verifier := pki.Verifier(t)
	// The clients talk to the hub through a proxy that checks each
	// request and answer against the API's schemas: the refusals too.
	rootPool := x509.NewCertPool()
	rootPool.AddCert(pki.Root.Cert)
	var kps []*certs.KeyPair
	for _, a := range agencies {
		kps = append(kps, a.kp)
	}
	proxy := apicheck.Proxy(t, cfg.Listen, "localhost", hubKP, rootPool, kps)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	connect := func(a agency) *hubclient.Client {
		c, err := hubclient.New(proxy, a.kp, verifier, hubclient.Options{ServerName: "localhost", DisableQUIC: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		for {
			hctx, hcancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.Hello(hctx)
			hcancel()
			if err == nil {
				return c
			}
			if ctx.Err() != nil {
				log, _ := os.ReadFile(logFile.Name())
				t.Fatalf("the hub does not answer: %v\n%s", err, log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	clients := make([]*hubclient.Client, len(agencies))
	for i, a := range agencies {
		clients[i] = connect(a)
	}
	base := vmHWM(t, hub.Process.Pid)

	bombs := padestest.Bombs()
	var wg sync.WaitGroup
	start := time.Now()
	for i, a := range agencies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := agencies[(i+1)%len(agencies)]
			for j, b := range bombs {
				// Each agency's copy differs after %%EOF: its own digest.
				pdf := append(bytes.Clone(b.PDF), fmt.Sprintf("%% %s\n", a.code)...)
				err := submit(ctx, clients[i], a, to, pdf, fmt.Sprintf("%d", 100*i+j+1))
				if wire.CodeOf(err) != wire.CodePDFTooComplex {
					t.Errorf("%s, %s bomb: %v; want pdf_too_complex", a.code, b.Name, err)
				}
			}
		}()
	}
	wg.Wait()
	peak := vmHWM(t, hub.Process.Pid)
	t.Logf("hub: %d bombs from %d agencies refused in %v; VmHWM %.0f MiB before, %.0f MiB after",
		len(bombs)*len(agencies), len(agencies), time.Since(start).Round(time.Millisecond), float64(base)/(1<<20), float64(peak)/(1<<20))
	if peak > hubMaxRSS {
		t.Errorf("the hub's peak resident memory is %d MiB; want under %d MiB", peak>>20, hubMaxRSS>>20)
	}

	// The same files through the auditor's and the clerk's commands.
	signer := agencies[0]
	cert, key := writeKeyPair(t, filepath.Join(dir, "signer"), signer.kp)
	for _, b := range bombs {
		in := writeFile(t, filepath.Join(dir, b.Name+".pdf"), b.PDF)
		out := filepath.Join(dir, b.Name+"-signed.pdf")
		for _, tool := range []struct {
			name string
			args []string
			exit int
		}{
			{"lienthong-verify", []string{"--roots", roots, in}, 2},
			{"lienthong-clerk", []string{"sign", "--cert", cert, "--key", key, in, out}, 1},
		} {
			cmd := exec.Command(filepath.Join(bin, tool.name), tool.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if cmd.ProcessState == nil {
				t.Fatalf("%s: %v", tool.name, err)
			}
			rss := maxRSS(cmd)
			t.Logf("%s, %s bomb: exit %d, max RSS %.0f MiB: %s", tool.name, b.Name, cmd.ProcessState.ExitCode(), float64(rss)/(1<<20), firstLine(stderr.String()))
			if cmd.ProcessState.ExitCode() != tool.exit || !strings.Contains(stderr.String(), "too complex") {
				t.Errorf("%s, %s bomb: exit %d, %q; want exit %d saying the PDF is too complex", tool.name, b.Name, cmd.ProcessState.ExitCode(), stderr.String(), tool.exit)
			}
			if rss > cliMaxRSS {
				t.Errorf("%s, %s bomb: max RSS %d MiB; want under %d MiB", tool.name, b.Name, rss>>20, cliMaxRSS>>20)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("lienthong-clerk sign wrote %s for a bomb", out)
		}
	}
}

func firstLine(s string) string {
	line, _ := bufio.NewReader(strings.NewReader(s)).ReadString('\n')
	return strings.TrimSpace(line)
}

// submit uploads pdf and submits a document carrying it from a to to.
func submit(ctx context.Context, c *hubclient.Client, a, to agency, pdf []byte, number string) error {
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])
	meta := &document.Metadata{
		Version:    document.SchemaVersion,
		From:       document.Organ{Code: certs.AgencyCode(a.code), Name: "Sở"},
		CodeNumber: number, CodeNotation: "SKHCN", Type: document.TypeCongVan,
		Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
		Subject:      "Về việc kiểm thử tệp PDF độc hại",
		Signer:       document.Signer{Position: "GIÁM ĐỐC", FullName: "Nguyễn Văn Bền"},
		To:           []document.Recipient{{Code: certs.AgencyCode(to.code), Name: "Sở"}},
	}
	payload, err := json.Marshal(&envelope.Document{
		Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: time.Now(), Metadata: meta,
		Attachments: []envelope.Attachment{{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: digest}},
	})
	if err != nil {
		return err
	}
	packet, err := envelope.Seal(payload, a.kp)
	if err != nil {
		return err
	}
	if err := c.Upload(ctx, digest, bytes.NewReader(pdf), int64(len(pdf)), 0, nil); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	_, err = c.Submit(ctx, packet)
	return err
}
