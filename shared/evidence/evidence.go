// Package evidence is the per-document evidence bundle an auditor checks
// offline, without trusting the hub or the clerk who exported it: a zip
// holding the sender's signed packet, the PDFs, the hub's signed receipts,
// the signed status packets, and the hub's log entries for them with
// inclusion proofs into a signed checkpoint.
//
// Layout of the zip:
//
//	manifest.json              Manifest: ids, the log's origin and verifier key
//	packet.json                the sender's signed document packet, or for a
//	                           document that came as edXML:
//	packet.edxml               the sender's edXML packet, byte for byte
//	packet.p7s                 its detached CMS signature, when signed so
//	edxml-reference.json       for one the hub delivered, the reference the
//	                           hub stored as its envelope (receipts and log
//	                           entries name its SHA-256)
//	attachments/<sha256>.pdf   each attachment
//	receipts/<n>.json          the hub's signed receipts
//	statuses/<n>.json          signed status packets
//	log/<index>.entry          log entries (auditlog.Entry, canonical JSON)
//	log/<index>.proof          their inclusion proofs (auditlog.InclusionProof)
//	log/checkpoint             the signed checkpoint the proofs lead to
//
// Verify trusts only what the auditor gives it: the roots, and the hub's
// log verifier key (the manifest's copy is only a hint, and a differing
// one is reported).
package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/shared/auditlog"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
	"lienthong/shared/strictjson"
)

// Limits against hostile bundles.
const (
	MaxFiles    = 10_000
	MaxFileSize = 512 << 20
)

// ErrMalformed reports a bundle that cannot be read.
var ErrMalformed = errors.New("malformed evidence bundle")

// Manifest describes a bundle.
type Manifest struct {
	Version   int       `json:"version"` // 1
	MessageID string    `json:"message_id"`
	Exported  time.Time `json:"exported"`
	By        string    `json:"by"` // the exporting agency
	// LogOrigin and LogKey name the hub's log and its note verifier key.
	LogOrigin string `json:"log_origin"`
	LogKey    string `json:"log_key"`
}

// Bundle is a bundle's content.
type Bundle struct {
	Manifest    Manifest
	Packet      []byte
	Attachments map[string][]byte // by SHA-256
	Receipts    [][]byte
	Statuses    [][]byte
	Entries     map[int64][]byte
	Proofs      map[int64]auditlog.InclusionProof
	Checkpoint  []byte
	// EdXML is the sender's edXML packet of a document that came as one
	// (Packet is then nil); EdXMLSignature its detached CMS signature,
	// when it was signed so; EdXMLRef, for a document the hub delivered,
	// the reference the hub stored as the message's envelope.
	EdXML          []byte
	EdXMLSignature []byte
	EdXMLRef       []byte
}

// Write writes b as a zip.
func (b *Bundle) Write(w io.Writer) error {
	man, err := json.MarshalIndent(b.Manifest, "", "  ")
	if err != nil {
		return err
	}
	type file struct {
		name string
		data []byte
	}
	files := []file{{"manifest.json", man}, {"packet.json", b.Packet}, {"packet.edxml", b.EdXML}, {"packet.p7s", b.EdXMLSignature},
		{"edxml-reference.json", b.EdXMLRef}, {"log/checkpoint", b.Checkpoint}}
	for _, digest := range sortedKeys(b.Attachments) {
		files = append(files, file{"attachments/" + digest + ".pdf", b.Attachments[digest]})
	}
	for i, r := range b.Receipts {
		files = append(files, file{fmt.Sprintf("receipts/%d.json", i+1), r})
	}
	for i, s := range b.Statuses {
		files = append(files, file{fmt.Sprintf("statuses/%d.json", i+1), s})
	}
	for _, idx := range sortedIndexes(b.Entries) {
		p, err := json.Marshal(b.Proofs[idx])
		if err != nil {
			return err
		}
		files = append(files, file{fmt.Sprintf("log/%d.entry", idx), b.Entries[idx]}, file{fmt.Sprintf("log/%d.proof", idx), p})
	}
	z := zip.NewWriter(w)
	for _, f := range files {
		if f.data == nil {
			continue
		}
		fw, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: b.Manifest.Exported})
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.data); err != nil {
			return err
		}
	}
	return z.Close()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Read reads a bundle from a zip of size bytes.
func Read(r io.ReaderAt, size int64) (*Bundle, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(z.File) > MaxFiles {
		return nil, fmt.Errorf("%w: %d files", ErrMalformed, len(z.File))
	}
	b := &Bundle{Attachments: map[string][]byte{}, Entries: map[int64][]byte{}, Proofs: map[int64]auditlog.InclusionProof{}}
	seen := map[string]bool{}
	for _, f := range z.File {
		name := f.Name
		if seen[name] || path.Clean(name) != name || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
			return nil, fmt.Errorf("%w: file name %q", ErrMalformed, name)
		}
		seen[name] = true
		if f.UncompressedSize64 > MaxFileSize {
			return nil, fmt.Errorf("%w: %s is too large", ErrMalformed, name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, MaxFileSize+1))
		rc.Close()
		if err != nil || len(data) > MaxFileSize {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
		}
		if err := b.place(name, data); err != nil {
			return nil, err
		}
	}
	if (b.Packet == nil) == (b.EdXML == nil) || b.Manifest.Version == 0 {
		return nil, fmt.Errorf("%w: manifest.json and one of packet.json and packet.edxml are required", ErrMalformed)
	}
	return b, nil
}

func (b *Bundle) place(name string, data []byte) error {
	dir, file := path.Split(name)
	switch {
	case name == "manifest.json":
		if err := strictjson.Unmarshal(data, &b.Manifest); err != nil {
			return fmt.Errorf("%w: manifest: %v", ErrMalformed, err)
		}
		if b.Manifest.Version != 1 {
			return fmt.Errorf("%w: manifest version %d", ErrMalformed, b.Manifest.Version)
		}
	case name == "packet.json":
		b.Packet = data
	case name == "packet.edxml":
		b.EdXML = data
	case name == "packet.p7s":
		b.EdXMLSignature = data
	case name == "edxml-reference.json":
		b.EdXMLRef = data
	case name == "log/checkpoint":
		b.Checkpoint = data
	case dir == "attachments/" && strings.HasSuffix(file, ".pdf"):
		b.Attachments[strings.TrimSuffix(file, ".pdf")] = data
	case dir == "receipts/":
		b.Receipts = append(b.Receipts, data)
	case dir == "statuses/":
		b.Statuses = append(b.Statuses, data)
	case dir == "log/" && (strings.HasSuffix(file, ".entry") || strings.HasSuffix(file, ".proof")):
		idx, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSuffix(file, ".entry"), ".proof"), 10, 64)
		if err != nil || idx < 0 {
			return fmt.Errorf("%w: %s", ErrMalformed, name)
		}
		if strings.HasSuffix(file, ".entry") {
			b.Entries[idx] = data
		} else {
			var p auditlog.InclusionProof
			if err := strictjson.Unmarshal(data, &p); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
			}
			b.Proofs[idx] = p
		}
	default:
		return fmt.Errorf("%w: unexpected file %s", ErrMalformed, name)
	}
	return nil
}

// Options are what the auditor trusts.
type Options struct {
	Verifier *certs.Verifier // roots and CRLs
	// ReceiptSigner names the hub's receipt-signing identity whose
	// receipts count (certs.MayIssueReceipts); empty is
	// certs.DefaultReceiptSigner.
	ReceiptSigner string
	LogKey        string // the hub's log verifier key
}

func (o Options) receiptSigner() string {
	if o.ReceiptSigner == "" {
		return certs.DefaultReceiptSigner
	}
	return o.ReceiptSigner
}

// Check is one thing verified.
type Check struct {
	What   string `json:"what"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Report lists every check.
type Report struct {
	MessageID string  `json:"message_id"`
	Checks    []Check `json:"checks"`
}

// OK reports whether every check held (and there was at least one).
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

func (r *Report) add(what string, err error) {
	c := Check{What: what, OK: err == nil}
	if err != nil {
		c.Detail = err.Error()
	}
	r.Checks = append(r.Checks, c)
}

// sent is what Verify checks the rest of a bundle against: the document
// the sender signed, as a Lienthong packet or an edXML packet.
type sent struct {
	messageID string
	// envelopeHash is what the hub's receipts and log name: the SHA-256 of
	// the signed packet, or of the hub's reference to an edXML packet.
	envelopeHash string
	attachments  []envelope.Attachment // Name, ContentType, Size and SHA256
	// hubless: an edXML document imported from a file, which never went
	// through the hub.
	hubless bool
}

// openPacket checks the sender's signed Lienthong packet.
func openPacket(r *Report, b *Bundle, opts Options) *sent {
	doc, signer, err := envelope.OpenDocument(b.Packet, opts.Verifier, 1<<40)
	r.add("the sender's signature on the document packet", err)
	if err != nil {
		return nil
	}
	if doc.MessageID != b.Manifest.MessageID {
		r.add("the packet is the document the manifest names", fmt.Errorf("packet %s, manifest %s", doc.MessageID, b.Manifest.MessageID))
	}
	r.add(fmt.Sprintf("the packet is signed by its sender %s", signer.Agency), nil)
	return &sent{messageID: doc.MessageID, envelopeHash: receipt.EnvelopeHash(b.Packet), attachments: doc.Attachments}
}

// Verify checks everything in the bundle.
func Verify(b *Bundle, opts Options) *Report {
	r := &Report{MessageID: b.Manifest.MessageID}
	var doc *sent
	if b.EdXML != nil {
		doc = openEdXML(r, b, opts)
	} else {
		doc = openPacket(r, b, opts)
	}
	if doc == nil {
		return r
	}
	packetHash := doc.envelopeHash

	pool := x509.NewCertPool()
	for _, c := range opts.Verifier.RootCertificates() {
		pool.AddCert(c)
	}
	for _, a := range doc.attachments {
		data, ok := b.Attachments[a.SHA256]
		what := fmt.Sprintf("attachment %q", a.Name)
		if !ok {
			r.add(what+" is in the bundle", errors.New("missing"))
			continue
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != a.SHA256 {
			r.add(what+" matches the digest the sender signed", errors.New("the file was changed"))
			continue
		}
		r.add(what+" matches the digest the sender signed", nil)
		if a.ContentType != envelope.ContentTypePDF {
			// An office appendix carries no signature of its own: the
			// packet's signature over its digest is what binds it.
			r.add(what+": its content matches its type (not a PDF: no signature of its own)",
				envelope.CheckFile(a.ContentType, bytes.NewReader(data), int64(len(data))))
			continue
		}
		rep, err := pades.Verify(pades.Bytes(data), int64(len(data)), pades.VerifyOptions{Roots: pool, CRLs: opts.Verifier.CRLs()})
		if err == nil && !rep.Valid() {
			err = pdfProblems(rep)
		}
		r.add(what+": every PDF signature valid and nothing changed after signing", err)
	}
	if doc.hubless {
		var err error
		if len(b.Receipts) > 0 || len(b.Entries) > 0 {
			err = errors.New("the bundle carries receipts or log entries for a document that names no message of the hub")
		}
		r.add("the document came as an edXML file, not through the hub: no receipts or log entries to check", err)
		return r
	}

	var receipts []*receipt.Receipt
	for i, wire := range b.Receipts {
		rc, _, err := receipt.Verify(wire, opts.Verifier, opts.receiptSigner())
		if err == nil && (rc.MessageID != doc.messageID || rc.EnvelopeSHA256 != packetHash) {
			err = errors.New("the receipt is for another packet")
		}
		r.add(fmt.Sprintf("receipt %d (%s) signed by the hub", i+1, eventOf(rc)), err)
		if err == nil {
			receipts = append(receipts, rc)
		}
	}
	for i, wire := range b.Statuses {
		st, sg, err := envelope.OpenStatus(wire, opts.Verifier)
		if err == nil && st.Regarding != doc.messageID {
			err = errors.New("the status is about another document")
		}
		what := fmt.Sprintf("status %d", i+1)
		if err == nil {
			what = fmt.Sprintf("status %d (%s from %s)", i+1, st.Update.Code, sg.Agency)
		}
		r.add(what+" signed by its sender", err)
	}
	verifyLog(r, b, opts, doc.messageID, packetHash, receipts)
	return r
}

func eventOf(rc *receipt.Receipt) string {
	if rc == nil {
		return "unreadable"
	}
	return rc.Event
}

func pdfProblems(rep *pades.Report) error {
	var msgs []string
	for _, s := range rep.Signatures {
		for _, p := range s.Problems {
			msgs = append(msgs, s.Field+": "+p)
		}
	}
	for _, c := range rep.UnsignedChanges {
		if !c.Allowed {
			msgs = append(msgs, "after the last signature: "+c.Description)
		}
	}
	if len(rep.Signatures) == 0 {
		msgs = append(msgs, "the PDF carries no signature")
	}
	return errors.New(strings.Join(msgs, "; "))
}

// verifyLog checks the checkpoint, every entry's inclusion proof, and that
// each receipt has its entry in the log.
func verifyLog(r *Report, b *Bundle, opts Options, messageID, packetHash string, receipts []*receipt.Receipt) {
	if b.Checkpoint == nil {
		r.add("the hub's log covers the document", errors.New("the bundle has no checkpoint"))
		return
	}
	if b.Manifest.LogKey != "" && opts.LogKey != "" && b.Manifest.LogKey != opts.LogKey {
		r.add("the bundle names the hub's log key you trust", fmt.Errorf("bundle %q, trusted %q", b.Manifest.LogKey, opts.LogKey))
	}
	key := opts.LogKey
	if key == "" {
		r.add("a log key to trust was given", errors.New("give the hub's log verifier key; the bundle's own copy proves nothing"))
		return
	}
	cp, err := auditlog.OpenCheckpoint(b.Checkpoint, key, b.Manifest.LogOrigin)
	r.add("the checkpoint is signed by the hub's log key", err)
	if err != nil {
		return
	}
	logged := map[string]bool{}
	for _, idx := range sortedIndexes(b.Entries) {
		data := b.Entries[idx]
		e, err := auditlog.DecodeEntry(data)
		if err == nil && e.MessageID != messageID {
			err = errors.New("the entry is about another document")
		}
		if err == nil {
			p, ok := b.Proofs[idx]
			switch {
			case !ok:
				err = errors.New("no inclusion proof")
			case p.Index != idx:
				err = fmt.Errorf("the proof is for index %d", p.Index)
			default:
				err = auditlog.VerifyInclusion(data, p, cp)
			}
		}
		r.add(fmt.Sprintf("log entry %d is in the log of size %d", idx, cp.Size), err)
		if err == nil {
			logged[e.Kind+" "+e.Agency+" "+e.EnvelopeSHA256] = true
			if e.Kind == auditlog.KindAccepted && e.EnvelopeSHA256 == packetHash {
				logged[auditlog.KindAccepted] = true
			}
		}
	}
	for _, rc := range receipts {
		var found bool
		switch rc.Event {
		case receipt.EventAccepted:
			found = logged[auditlog.KindAccepted]
		case receipt.EventDelivered:
			found = logged[auditlog.KindDelivered+" "+rc.Recipients[0]+" "+packetHash]
		case receipt.EventRefused:
			found = logged[auditlog.KindRefused+" "+rc.Recipients[0]+" "+packetHash]
		}
		var err error
		if !found {
			err = errors.New("no log entry in the bundle records it: the hub may have left it out of its log")
		}
		r.add(fmt.Sprintf("the %s receipt is recorded in the log", rc.Event), err)
	}
}

func sortedIndexes(m map[int64][]byte) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
