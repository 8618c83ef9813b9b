package pades

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSignProducers signs files as other real producers write them: qpdf's
// QDF and object-stream modes, linearized object streams, a merge, and
// poppler's cairo back end (pdftocairo).
func TestSignProducers(t *testing.T) {
	p := getPKI(t)
	ts := newTrustStore(t, p.root.Cert)
	qpdf, pdftocairo := needTool(t, "qpdf"), needTool(t, "pdftocairo")
	tests := []struct {
		name string
		make func(out string) *exec.Cmd
		page int // where the agency's signature goes
	}{
		{"qdf", func(out string) *exec.Cmd { return exec.Command(qpdf, "--qdf", "testdata/quyet-dinh.pdf", out) }, 2},
		{"object streams linearized", func(out string) *exec.Cmd {
			return exec.Command(qpdf, "--object-streams=generate", "--linearize", "testdata/quyet-dinh.pdf", out)
		}, 2},
		{"object streams uncompressed", func(out string) *exec.Cmd {
			return exec.Command(qpdf, "--object-streams=generate", "--compress-streams=n", "testdata/bao-cao.pdf", out)
		}, 1},
		{"merged", func(out string) *exec.Cmd {
			return exec.Command(qpdf, "--empty", "--pages", "testdata/cong-van.pdf", "testdata/quyet-dinh.pdf", "--", out)
		}, 3},
		{"cairo", func(out string) *exec.Cmd { return exec.Command(pdftocairo, "-pdf", "testdata/quyet-dinh.pdf", out) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.pdf")
			if out, err := tt.make(in).CombinedOutput(); err != nil {
				t.Fatalf("make input: %v\n%s", err, out)
			}
			o1 := signTestFile(t, in, filepath.Join(dir, "1.pdf"), optsFor(p.person))
			o2opts := optsFor(p.agency)
			o2opts.Page = tt.page
			o2 := signTestFile(t, o1, filepath.Join(dir, "2.pdf"), o2opts)
			requireValid(t, verifyFile(t, o2, VerifyOptions{Roots: p.roots}), 2)
			checkPdfsig(t, ts, o2, 2)
			checkQpdf(t, o2)
			checkPdfcpu(t, ts, o2, 2)
		})
	}
}
