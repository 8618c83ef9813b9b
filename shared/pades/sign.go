package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"lienthong/certs"
	"lienthong/shared/cms"
	"lienthong/shared/stamp"
)

// Output is where a signed document is written: sequentially first, then
// the signature is patched into its reserved place. *os.File is one.
type Output interface {
	io.Writer
	io.WriterAt
}

// TimestampFunc obtains an RFC 3161 timestamp token over a SHA-256 digest
// (for B-T, the digest of the signature value), e.g. by calling tsa.Request.
type TimestampFunc func(ctx context.Context, digest []byte) ([]byte, error)

// Options describe one signature.
type Options struct {
	// Signer signs, and its certificates go into the signature; Sign and
	// SignFile need it.
	Signer certs.Signer
	// Chain is the signer's certificate followed by its CA certificates,
	// for Prepare, whose signature is made elsewhere; Sign and SignFile
	// take it from Signer and refuse it here.
	Chain []*x509.Certificate
	// Name, Reason, Location and ContactInfo go into the signature
	// dictionary as text strings; all optional.
	Name, Reason, Location, ContactInfo string
	// Time is the claimed signing time (/M); zero means now, in Vietnam
	// time (+07:00).
	Time time.Time
	// Page is the 1-based page that carries the widget; 0 means page 1.
	Page int
	// FieldName names the signature field. An existing empty signature
	// field of that full name (merged with its widget) is signed into,
	// keeping its place on the page; otherwise a new field of that name is
	// added. Empty picks a new "SignatureN".
	FieldName string
	// Appearance makes the signature visible in Rect (page user space,
	// x1 y1 x2 y2), scaled from its own size to the rectangle. Nil means
	// invisible: a zero Rect and an empty appearance.
	Appearance *stamp.Appearance
	Rect       [4]float64
	// Timestamp, if set, adds a signature timestamp: level B-T.
	Timestamp TimestampFunc
	// ContentsSize reserves this many bytes for the CMS container; 0
	// estimates it from the chain and whether a timestamp is wanted.
	ContentsSize int
}

// VietnamTime is the +07:00 zone in which signing times are written.
var VietnamTime = time.FixedZone("ICT", 7*3600)

// Prepared is a document written out with a reserved, still empty
// signature; Finish fills it in.
type Prepared struct {
	dst       io.WriterAt
	builder   *cms.Builder
	holeOff   int64
	holeLen   int
	timestamp TimestampFunc
	done      bool
}

// DigestToSign returns the SHA-256 digest that the signer must sign (with
// crypto.SHA256 as the signer options).
func (p *Prepared) DigestToSign() []byte { return p.builder.DigestToSign() }

// Finish assembles the CMS container around signature (the signer's
// signature over DigestToSign), adds a timestamp if the options asked for
// one, and writes it into the reserved /Contents.
func (p *Prepared) Finish(ctx context.Context, signature []byte) error {
	if p.done {
		return errors.New("signature already finished")
	}
	der, err := p.builder.Finish(signature)
	if err != nil {
		return fmt.Errorf("build signature container: %w", err)
	}
	if p.timestamp != nil {
		sv, err := cms.SignatureValue(der)
		if err != nil {
			return fmt.Errorf("signature value: %w", err)
		}
		sum := sha256.Sum256(sv)
		token, err := p.timestamp(ctx, sum[:])
		if err != nil {
			return fmt.Errorf("timestamp: %w", err)
		}
		if der, err = cms.AddTimestamp(der, token); err != nil {
			return fmt.Errorf("add timestamp: %w", err)
		}
	}
	h := make([]byte, hex.EncodedLen(len(der)))
	hex.Encode(h, der)
	if len(h) > p.holeLen {
		return fmt.Errorf("%w: need %d bytes, reserved %d", ErrContentsTooSmall, len(der), p.holeLen/2)
	}
	if _, err := p.dst.WriteAt(h, p.holeOff); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	p.done = true
	return nil
}

// Sign writes src[0:size] to dst followed by an incremental update that
// signs it with opts.Signer.
func Sign(ctx context.Context, dst Output, src io.ReaderAt, size int64, opts Options) error {
	if opts.Signer == nil {
		return errors.New("no signer given")
	}
	if opts.Chain != nil {
		return errors.New("the certificates come from the signer: leave Chain empty")
	}
	opts.Chain = opts.Signer.Certificates()
	p, err := Prepare(dst, src, size, opts)
	if err != nil {
		return err
	}
	sig, err := opts.Signer.Sign(rand.Reader, p.DigestToSign(), crypto.SHA256)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return p.Finish(ctx, sig)
}

// SignFile signs the PDF at inPath into outPath. It writes a temporary file
// beside outPath, syncs it and renames it into place only when everything
// succeeded, so a failure leaves no output.
func SignFile(ctx context.Context, inPath, outPath string, opts Options) error {
	return writeFile(inPath, outPath, func(dst *os.File, src *os.File, size int64) error {
		return Sign(ctx, dst, src, size, opts)
	})
}

// TimestampFile adds a document timestamp to the PDF at inPath, writing
// outPath as SignFile does.
func TimestampFile(ctx context.Context, inPath, outPath string, ts TimestampFunc, opts Options) error {
	return writeFile(inPath, outPath, func(dst *os.File, src *os.File, size int64) error {
		return AddDocumentTimestamp(ctx, dst, src, size, ts, opts)
	})
}

// writeFile runs update from inPath into a temporary file beside outPath,
// syncs it and renames it into place only on success.
func writeFile(inPath, outPath string, update func(dst, src *os.File, size int64) error) (err error) {
	in, err := os.Open(inPath)
	if err != nil {
		return fmt.Errorf("open input: %w", err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return fmt.Errorf("stat input: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("input %q is not a regular file", inPath)
	}
	tmp, err := os.CreateTemp(filepath.Dir(outPath), "."+filepath.Base(outPath)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create output: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = update(tmp, in, st.Size()); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("sync output: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("close output: %w", err)
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod output: %w", err)
	}
	if err = os.Rename(tmp.Name(), outPath); err != nil {
		return fmt.Errorf("rename output: %w", err)
	}
	return nil
}

// update collects the objects of an incremental update.
type update struct {
	objs map[int][]byte // object number -> "N G obj ... endobj\n"
	gens map[int]int
	next int
}

func (u *update) alloc() int {
	n := u.next
	u.next++
	return n
}

func (u *update) put(num, gen int, v any) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d %d obj\n", num, gen)
	writeObject(&b, v)
	b.WriteString("\nendobj\n")
	u.objs[num] = b.Bytes()
	u.gens[num] = gen
}

func (u *update) putStream(num int, dict pdfDict, data []byte) {
	d := make(pdfDict, len(dict)+1)
	for k, v := range dict {
		d[k] = v
	}
	d["Length"] = int64(len(data))
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d 0 obj\n", num)
	writeObject(&b, d)
	b.WriteString("\nstream\n")
	b.Write(data)
	b.WriteString("\nendstream\nendobj\n")
	u.objs[num] = b.Bytes()
	u.gens[num] = 0
}

const brPlaceholder = "[0 0000000000 0000000000 0000000000]"

// Prepare writes src[0:size] to dst followed by the incremental update with
// an empty signature, and returns the digest to sign. dst must be empty and
// positioned at its start.
func Prepare(dst Output, src io.ReaderAt, size int64, opts Options) (*Prepared, error) {
	if len(opts.Chain) == 0 {
		return nil, errors.New("no signer certificate given")
	}
	r, err := reserve(dst, src, size, opts, false)
	if err != nil {
		return nil, err
	}
	builder, err := cms.NewBuilder(r.digest, crypto.SHA256, opts.Chain)
	if err != nil {
		return nil, fmt.Errorf("prepare signature: %w", err)
	}
	return &Prepared{dst: dst, builder: builder, holeOff: r.holeOff, holeLen: r.holeLen, timestamp: opts.Timestamp}, nil
}

// reserved is a written update whose /Contents awaits its value.
type reserved struct {
	digest  []byte // SHA-256 of the byte ranges
	holeOff int64  // where the hex digits go
	holeLen int    // how many hex digits fit
}

// reserve writes src and an incremental update with an empty signature
// (or, with docTS, an empty document timestamp) and returns the digest of
// the byte ranges.
func reserve(dst Output, src io.ReaderAt, size int64, opts Options, docTS bool) (*reserved, error) {
	d, err := openDocument(src, size)
	if err != nil {
		return nil, err
	}
	pageNo := opts.Page
	if pageNo <= 0 {
		pageNo = 1
	}
	pages, err := d.pages(pageNo)
	if err != nil {
		return nil, d.fam.damaged("page tree: %w", err)
	}
	if len(pages) < pageNo {
		return nil, fmt.Errorf("page %d does not exist: the document has %d pages", pageNo, len(pages))
	}
	pageRef := pages[pageNo-1]
	pageDict, err := d.resolveDict(pageRef)
	if err != nil {
		return nil, d.fam.damaged("page %d: %w", pageNo, err)
	}
	cat, err := d.catalog()
	if err != nil {
		return nil, d.fam.damaged("catalog: %w", err)
	}
	if perms, ok := cat["Perms"].(pdfDict); ok {
		if _, ok := perms["DocMDP"]; ok {
			return nil, fmt.Errorf("%w: the document carries a certification signature (DocMDP); adding signatures is not supported", ErrUnsupported)
		}
	}

	form, err := formForSigning(d, cat)
	if err != nil {
		return nil, err
	}
	u := &update{objs: map[int][]byte{}, gens: map[int]int{}, next: d.maxSize()}
	sigNum := u.alloc()
	sigRef := pdfRef{Num: sigNum}
	filled, err := fillEmptyField(d, u, cat, opts, sigRef, form)
	if err != nil {
		return nil, err
	}
	if !filled {
		if err := addField(d, u, cat, pageRef, pageDict, opts, sigRef, form); err != nil {
			return nil, err
		}
	}
	if err := d.fam.budget.exceeded(); err != nil {
		return nil, err // before a byte is written
	}

	// The signature dictionary, with its placeholders.
	t := opts.Time
	if t.IsZero() {
		t = time.Now().In(VietnamTime)
	}
	contentsSize := opts.ContentsSize
	if contentsSize <= 0 {
		contentsSize = 2048
		for _, c := range opts.Chain {
			contentsSize += len(c.Raw)
		}
		if opts.Timestamp != nil || docTS {
			contentsSize += 12 << 10
		}
	}
	var sd bytes.Buffer
	if docTS {
		fmt.Fprintf(&sd, "%d 0 obj\n<</Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/ETSI.RFC3161", sigNum)
	} else {
		fmt.Fprintf(&sd, "%d 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M ", sigNum)
		writeObject(&sd, pdfString{Value: []byte(pdfDate(t))})
	}
	for _, kv := range []struct {
		k pdfName
		v string
	}{{"Name", opts.Name}, {"Reason", opts.Reason}, {"Location", opts.Location}, {"ContactInfo", opts.ContactInfo}} {
		if kv.v != "" {
			writeName(&sd, kv.k)
			sd.WriteByte(' ')
			writeObject(&sd, textString(kv.v))
		}
	}
	sd.WriteString("/ByteRange ")
	brPos := sd.Len()
	sd.WriteString(brPlaceholder)
	sd.WriteString("/Contents ")
	holePos := sd.Len()
	sd.WriteByte('<')
	sd.Write(bytes.Repeat([]byte{'0'}, 2*contentsSize))
	sd.WriteString(">>>\nendobj\n")
	u.objs[sigNum] = sd.Bytes()
	u.gens[sigNum] = 0

	// Lay out the tail.
	var tail bytes.Buffer
	last := make([]byte, 1)
	if size > 0 {
		if _, err := src.ReadAt(last, size-1); err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		if last[0] != '\n' && last[0] != '\r' {
			tail.WriteByte('\n')
		}
	}
	nums := make([]int, 0, len(u.objs))
	for n := range u.objs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	offsets := map[int]int64{}
	var brAt, holeAt int
	for _, n := range nums {
		offsets[n] = size + int64(tail.Len())
		if n == sigNum {
			brAt = tail.Len() + brPos
			holeAt = tail.Len() + holePos
		}
		tail.Write(u.objs[n])
	}
	trailer := pdfDict{"Root": d.root(), "Prev": d.startxref}
	for _, k := range []pdfName{"Info", "ID"} {
		if v, ok := d.trailer[k]; ok {
			trailer[k] = v
		}
	}
	xrefOff := size + int64(tail.Len())
	if d.lastIsStrm {
		xnum := u.alloc()
		offsets[xnum] = xrefOff
		u.gens[xnum] = 0
		nums = append(nums, xnum)
		writeXRefStream(&tail, xnum, nums, offsets, u.gens, trailer, u.next)
	} else {
		writeXRefTable(&tail, nums, offsets, u.gens, trailer, u.next)
	}
	fmt.Fprintf(&tail, "startxref\n%d\n%%%%EOF\n", xrefOff)

	buf := tail.Bytes()
	a := size + int64(holeAt)
	b := a + int64(2*contentsSize+2)
	total := size + int64(len(buf))
	br := fmt.Sprintf("[0 %d %d %d]", a, b, total-b)
	if len(br) > len(brPlaceholder) {
		return nil, fmt.Errorf("%w: file too large for the byte range placeholder", ErrUnsupported)
	}
	br += string(bytes.Repeat([]byte{' '}, len(brPlaceholder)-len(br)))
	copy(buf[brAt:], br)

	// One pass: copy and hash the original, then the tail around the hole.
	h := sha256.New()
	if err := copyAndHash(dst, src, size, h); err != nil {
		return nil, err
	}
	h.Write(buf[:holeAt])
	h.Write(buf[holeAt+2*contentsSize+2:])
	if _, err := dst.Write(buf); err != nil {
		return nil, fmt.Errorf("write update: %w", err)
	}
	return &reserved{digest: h.Sum(nil), holeOff: a + 1, holeLen: 2 * contentsSize}, nil
}

// pdfDate formats t as a PDF date, D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	if off == 0 {
		return t.Format("D:20060102150405") + "Z"
	}
	return fmt.Sprintf("%s%c%02d'%02d'", t.Format("D:20060102150405"), sign, off/3600, off%3600/60)
}

// runs groups sorted object numbers into consecutive runs.
func runs(nums []int) [][2]int {
	var out [][2]int
	for _, n := range nums {
		if len(out) > 0 && out[len(out)-1][0]+out[len(out)-1][1] == n {
			out[len(out)-1][1]++
			continue
		}
		out = append(out, [2]int{n, 1})
	}
	return out
}

func writeXRefTable(w *bytes.Buffer, nums []int, offsets map[int]int64, gens map[int]int, trailer pdfDict, size int) {
	sort.Ints(nums)
	w.WriteString("xref\n")
	for _, r := range runs(nums) {
		fmt.Fprintf(w, "%d %d\n", r[0], r[1])
		for n := r[0]; n < r[0]+r[1]; n++ {
			fmt.Fprintf(w, "%010d %05d n\r\n", offsets[n], gens[n])
		}
	}
	trailer["Size"] = int64(size)
	w.WriteString("trailer\n")
	writeObject(w, trailer)
	w.WriteString("\n")
}

func writeXRefStream(w *bytes.Buffer, num int, nums []int, offsets map[int]int64, gens map[int]int, trailer pdfDict, size int) {
	sort.Ints(nums)
	width := 1
	for _, n := range nums {
		for offsets[n]>>(8*width) != 0 {
			width++
		}
	}
	var data []byte
	var index pdfArray
	for _, r := range runs(nums) {
		index = append(index, int64(r[0]), int64(r[1]))
		for n := r[0]; n < r[0]+r[1]; n++ {
			data = append(data, 1)
			o := offsets[n]
			for i := width - 1; i >= 0; i-- {
				data = append(data, byte(o>>(8*i)))
			}
			data = append(data, byte(gens[n]>>8), byte(gens[n]))
		}
	}
	d := pdfDict{"Type": pdfName("XRef"), "W": pdfArray{int64(1), int64(width), int64(2)}, "Index": index, "Size": int64(size), "Length": int64(len(data))}
	for k, v := range trailer {
		d[k] = v
	}
	fmt.Fprintf(w, "%d 0 obj\n", num)
	writeObject(w, d)
	w.WriteString("\nstream\n")
	w.Write(data)
	w.WriteString("\nendstream\nendobj\n")
}

// copyAndHash copies src[0:size] to dst and hashes it into h, reading the
// input once. Copying and hashing overlap: this goroutine reads and writes
// chunks while another hashes the previous ones, so on two cores signing
// costs little more than the hash itself. Memory: copyBuffers x copyChunk.
// (Copying file to file in the kernel with copy_file_range was measured:
// no faster.)
const copyChunk, copyBuffers = 256 << 10, 4

var copyPool = sync.Pool{New: func() any { return new([copyChunk]byte) }}

func copyAndHash(dst io.Writer, src io.ReaderAt, size int64, h io.Writer) error {
	free := make(chan []byte, copyBuffers)
	for i := 0; i < copyBuffers; i++ {
		free <- copyPool.Get().(*[copyChunk]byte)[:]
	}
	defer func() {
		for i := 0; i < copyBuffers; i++ {
			copyPool.Put((*[copyChunk]byte)(<-free))
		}
	}()
	full := make(chan []byte, copyBuffers)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for b := range full {
			h.Write(b)
			free <- b[:cap(b)]
		}
	}()
	var err error
	for off := int64(0); off < size && err == nil; {
		b := <-free
		if rest := size - off; rest < int64(len(b)) {
			b = b[:rest]
		}
		var n int
		n, err = src.ReadAt(b, off)
		if n == len(b) {
			err = nil // io.ReaderAt may report EOF with a full read
		} else if err == nil {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			err = fmt.Errorf("read document: %w", err)
			free <- b[:cap(b)]
			break
		}
		if _, err = dst.Write(b); err != nil {
			err = fmt.Errorf("write document: %w", err)
			free <- b[:cap(b)]
			break
		}
		full <- b
		off += int64(n)
	}
	close(full)
	<-hashed
	return err
}

// AddDocumentTimestamp writes src[0:size] to dst followed by an incremental
// update holding a document timestamp (/Type /DocTimeStamp, /SubFilter
// /ETSI.RFC3161): an RFC 3161 token over the SHA-256 of the byte ranges,
// as PAdES B-LTA adds on top of signatures. Name, Reason and Location
// options are written if set; Signer and Chain are not used.
func AddDocumentTimestamp(ctx context.Context, dst Output, src io.ReaderAt, size int64, ts TimestampFunc, opts Options) error {
	if ts == nil {
		return errors.New("no timestamping service given")
	}
	r, err := reserve(dst, src, size, opts, true)
	if err != nil {
		return err
	}
	token, err := ts(ctx, r.digest)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	h := make([]byte, hex.EncodedLen(len(token)))
	hex.Encode(h, token)
	if len(h) > r.holeLen {
		return fmt.Errorf("%w: need %d bytes, reserved %d", ErrContentsTooSmall, len(token), r.holeLen/2)
	}
	if _, err := dst.WriteAt(h, r.holeOff); err != nil {
		return fmt.Errorf("write timestamp: %w", err)
	}
	return nil
}
