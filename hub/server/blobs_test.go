package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// beginUpload asks the hub, as agency, where an upload of digest stands
// (POST /v1/uploads/{sha256}), and returns the HTTP status and the body.
func beginUpload(t *testing.T, ctx context.Context, h *hubtest.Hub, agency, digest string, size int) (int, []byte) {
	t.Helper()
	rt := &http3.Transport{TLSClientConfig: certs.ClientTLS(h.Agencies[agency].Key, h.Verifier(), "localhost")}
	defer rt.Close()
	url := fmt.Sprintf("https://%s/v1/uploads/%s?size=%d", h.Addr, digest, size)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// wantFreshUpload checks that a begin answers like one of a blob the hub
// has never seen: 200, offset 0, not done.
func wantFreshUpload(t *testing.T, ctx context.Context, h *hubtest.Hub, agency, digest string, size int) {
	t.Helper()
	status, body := beginUpload(t, ctx, h, agency, digest, size)
	var st wire.UploadState
	if status != http.StatusOK || json.Unmarshal(body, &st) != nil || st.Done || st.Offset != 0 {
		t.Fatalf("%s begins an upload of another agency's attachment (%d bytes): %d %s; want a fresh upload that reveals nothing", agency, size, status, body)
	}
}

// TestKnowingADigestIsNotHoldingTheFile is finding 3 of issue 14: a third
// agency that learns an attachment's SHA-256 learns nothing from an upload
// (neither that the file exists nor its size) and cannot name it in a
// document of its own until it uploads the bytes itself.
func TestKnowingADigestIsNotHoldingTheFile(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qn, na := h.Client(t, quangNinh, false), h.Client(t, ngheAn, false)
	pdf := readPDF(t, "quyet-dinh.pdf")
	orig := compose(t, h, quangNinh, pdf, "701", vpcp)
	orig.send(t, ctx, qn)

	// Nghệ An, a third agency, knows the digest.
	wantFreshUpload(t, ctx, h, ngheAn, orig.digest, len(pdf))
	wantFreshUpload(t, ctx, h, ngheAn, orig.digest, len(pdf)+1) // no "stored with other size" either
	mine := compose(t, h, ngheAn, pdf, "702", vpcp)
	if _, err := na.Submit(ctx, mine.packet); !errors.Is(err, hubclient.ErrMissingBlob) {
		t.Fatalf("a document naming another agency's attachment: %v, want missing_blob", err)
	}
	// An upload of other bytes under the digest is checked like any other.
	junk := make([]byte, len(pdf))
	if err := na.Upload(ctx, orig.digest, bytes.NewReader(junk), int64(len(junk)), 16<<10, nil); !errors.Is(err, hubclient.ErrHashMismatch) {
		t.Fatalf("an upload of other bytes under a known digest: %v, want hash_mismatch", err)
	}
	// Holding the bytes, it may send them: storage is shared, authority not.
	if _, err := mine.submit(ctx, na); err != nil {
		t.Fatalf("a document with bytes the agency uploaded itself: %v", err)
	}
	// The sender resumes its own upload as done at once.
	status, body := beginUpload(t, ctx, h, quangNinh, orig.digest, len(pdf))
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"done":true`)) {
		t.Fatalf("the uploader's own begin: %d %s, want done", status, body)
	}
}

// TestRecalledRecipientLosesTheAttachment is the other half of finding 3:
// a recipient withdrawn by a recall cannot name the recalled attachment in
// an envelope of its own to read it back; a recipient that had the
// document keeps it.
func TestRecalledRecipientLosesTheAttachment(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vp, qn, na := h.Client(t, vpcp, false), h.Client(t, quangNinh, false), h.Client(t, ngheAn, false)
	pdf := readPDF(t, "quyet-dinh.pdf")
	orig := compose(t, h, vpcp, pdf, "801", quangNinh, ngheAn)
	orig.send(t, ctx, vp)
	takeOne(t, ctx, na, h, orig.id) // Nghệ An has it; Quảng Ninh does not yet
	recall := business(t, h, compose(t, h, vpcp, nil, "802", quangNinh, ngheAn), vpcp, document.BusinessRecall, "Ban hành nhầm", orig)
	if _, err := recall.submit(ctx, vp); err != nil {
		t.Fatal(err)
	}
	if _, err := qn.Download(ctx, orig.id, orig.digest, 0, io.Discard); !errors.Is(err, hubclient.ErrWithdrawn) {
		t.Fatalf("the withdrawn recipient downloads the recalled attachment: %v", err)
	}
	// The attack: sign an envelope of its own naming the digest, to itself
	// through another agency, and download it from that message.
	own := compose(t, h, quangNinh, pdf, "803", ngheAn)
	_, err := qn.Submit(ctx, own.packet)
	if !errors.Is(err, hubclient.ErrMissingBlob) {
		if err == nil {
			var buf bytes.Buffer
			qn.Download(ctx, own.id, own.digest, 0, &buf)
			t.Fatalf("the withdrawn recipient re-sent the recalled attachment (and read back %d bytes)", buf.Len())
		}
		t.Fatalf("submit naming the recalled attachment: %v, want missing_blob", err)
	}
	wantFreshUpload(t, ctx, h, quangNinh, orig.digest, len(pdf))
	// Nghệ An received the document before the recall: it holds the file.
	fwd := compose(t, h, ngheAn, pdf, "804", vpcp)
	if _, err := na.Submit(ctx, fwd.packet); err != nil {
		t.Fatalf("a recipient that had the document forwards it: %v", err)
	}
}

// TestUploadQuota is finding 7: an agency's partial uploads and unsent
// attachments are bounded; beyond the quota an upload is refused with
// quota_exceeded, and sending a document frees its attachments' share.
func TestUploadQuota(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) {
		c.MaxAttachmentMB, c.UploadQuotaMB = 1, 1
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, false)
	upload := func(n int) error {
		b := make([]byte, n)
		rand.Read(b)
		sum := sha256.Sum256(b)
		return qn.Upload(ctx, hex.EncodeToString(sum[:]), bytes.NewReader(b), int64(n), 64<<10, nil)
	}
	if err := upload(700 << 10); err != nil {
		t.Fatal(err)
	}
	if err := upload(400 << 10); !errors.Is(err, hubclient.ErrQuotaExceeded) {
		t.Fatalf("an upload past the quota: %v, want quota_exceeded", err)
	}
	if err := upload(300 << 10); err != nil {
		t.Fatalf("an upload within the quota: %v", err)
	}
	// Another agency has a quota of its own.
	na := h.Client(t, ngheAn, false)
	pdf := readPDF(t, "quyet-dinh.pdf")
	doc := compose(t, h, ngheAn, pdf, "901", quangNinh)
	doc.send(t, ctx, na)
	// Collected, unsent attachments free the quota.
	if _, err := h.Store.GCBlobs(ctx, time.Now().Add(48*time.Hour), 24*time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if err := upload(900 << 10); err != nil {
		t.Fatalf("an upload after the unsent ones expired: %v", err)
	}
}

// TestDeliveredBytesRetention is the retention half of finding 7: once a
// document was delivered longer ago than the retention, its attachment's
// bytes go and a download answers gone; the receipts stay.
func TestDeliveredBytesRetention(t *testing.T) {
	const retention = 30 * 24 * time.Hour
	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) { c.DeliveredRetention = config.Duration(retention) }})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qn, na := h.Client(t, quangNinh, false), h.Client(t, ngheAn, false)
	doc := compose(t, h, quangNinh, readPDF(t, "quyet-dinh.pdf"), "1001", ngheAn)
	doc.send(t, ctx, qn)
	takeOne(t, ctx, na, h, doc.id)
	res, err := h.Store.GCBlobs(ctx, time.Now().Add(retention+time.Hour), 24*time.Hour, retention)
	if err != nil || res.Expired != 1 {
		t.Fatalf("gc after the retention: %+v %v", res, err)
	}
	for _, c := range []*hubclient.Client{qn, na} {
		if _, err := c.Download(ctx, doc.id, doc.digest, 0, io.Discard); !errors.Is(err, hubclient.ErrGone) {
			t.Fatalf("download after the retention: %v, want gone", err)
		}
	}
	if rs, err := na.Receipts(ctx, doc.id); err != nil || len(rs) != 2 {
		t.Fatalf("receipts after the retention: %d %v", len(rs), err)
	}
}

// TestAttachmentIsForSaving: an attachment is answered as a file to save
// under the hub's own name for it (its digest, .pdf), never for a browser
// to show or to guess the type of, whatever the sender called it.
func TestAttachmentIsForSaving(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vp, na := h.Client(t, vpcp, false), h.Client(t, ngheAn, false)
	doc := compose(t, h, vpcp, readPDF(t, "quyet-dinh.pdf"), "805", ngheAn)
	doc.send(t, ctx, vp)
	takeOne(t, ctx, na, h, doc.id)
	for _, tcp := range []bool{true, false} {
		c := rawClient(t, h, ngheAn, tcp)
		url := "https://" + h.Addr + "/v1/messages/" + doc.id + "/attachments/" + doc.digest
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		want := map[string]string{
			"Content-Type":           "application/pdf",
			"Content-Disposition":    `attachment; filename="` + doc.digest + `.pdf"`,
			"X-Content-Type-Options": "nosniff",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); resp.StatusCode != 200 || got != v {
				t.Errorf("tcp=%v: %d, %s = %q, want %q", tcp, resp.StatusCode, k, got, v)
			}
		}
	}
	// Refusals carry it too: every answer goes through the one wrapper.
	resp, err := rawClient(t, h, ngheAn, true).Get("https://" + h.Addr + "/v1/no-such-path")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a refusal without nosniff: %v", resp.Header)
	}
}
