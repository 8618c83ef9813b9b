package clerk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"lienthong/desktop/store"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
)

// What a clerk takes besides PDFs, and what it does with it.
//
// The main document of every document is a PDF. Appendices may be Word,
// Excel or OpenDocument files (envelope.Types) where this clerk's policy
// accepts them (AttachmentTypes, a setting; the default accepts PDF only,
// as the hub's default does). An incoming document with an attachment of
// a type the policy does not accept is set aside and refused through the
// hub (CauseType), like any other document this clerk cannot take; an
// accepted office file is checked by its content (envelope.CheckFile)
// before it is stored, so a file that does not match its type is refused
// too. An office file is never handed to the system's viewer
// (OpenForViewer refuses it with ErrNotViewable): it carries no signature
// this clerk checked, and the program it would open in runs what it
// holds. The app offers only to save a copy, under AttachmentFileName.

// ErrNotViewable: the attachment is not a PDF, so the app does not open it
// by itself; it may only be saved.
var ErrNotViewable = errors.New("only PDF attachments are opened by the app; save this one instead")

// AttachmentTypes is this clerk's policy for incoming attachments: the
// stored setting, or PDF only.
func (c *Clerk) AttachmentTypes() envelope.Policy {
	s, err := c.st.Setting(store.SettingAttachmentTypes)
	if err != nil || s == "" {
		return envelope.DefaultPolicy()
	}
	p, err := envelope.NewPolicy(strings.Split(s, ","))
	if err != nil {
		c.log.Warn("stored attachment types are not valid; taking PDF only", "err", err)
		return envelope.DefaultPolicy()
	}
	return p
}

// SetAttachmentTypes sets the attachment types this clerk takes, by name
// ("pdf", which is required, and any of "docx", "xlsx", "odt"). It applies
// to documents received from then on.
func (c *Clerk) SetAttachmentTypes(names []string) error {
	p, err := envelope.NewPolicy(names)
	if err != nil {
		return fmt.Errorf("set attachment types: %w", err)
	}
	if err := c.st.SetSetting(store.SettingAttachmentTypes, strings.Join(p.Names(), ",")); err != nil {
		return fmt.Errorf("set attachment types: %w", err)
	}
	return nil
}

// checkTypes refuses an incoming document with an attachment of a type
// this clerk's policy does not take.
func (c *Clerk) checkTypes(env *envelope.Document) error {
	p := c.AttachmentTypes()
	for _, a := range env.Attachments {
		if !p.Allows(a.ContentType) {
			return refuse(store.CauseType, env, fmt.Errorf("%w: an attachment of type %s", envelope.ErrTypeNotAllowed, a.ContentType),
				envelope.Extension(a.ContentType), strings.Join(p.Names(), ", "))
		}
	}
	return nil
}

// Viewable reports whether the app opens an attachment in the system's
// viewer: PDFs only.
func Viewable(a envelope.Attachment) bool { return a.ContentType == envelope.ContentTypePDF }

// OpenForViewer is OpenAttachment for handing the file to the system's
// viewer: it refuses an attachment that is not a PDF with ErrNotViewable,
// whatever its name says.
func (c *Clerk) OpenForViewer(id string, i int) (io.ReadCloser, envelope.Attachment, error) {
	rc, a, err := c.OpenAttachment(id, i)
	if err != nil {
		return nil, a, err
	}
	if !Viewable(a) {
		rc.Close()
		return nil, a, fmt.Errorf("attachment %d of %s (%s): %w", i, id, envelope.Extension(a.ContentType), ErrNotViewable)
	}
	return rc, a, nil
}

// verifyAttachment verifies a PDF's signatures (verifyPDF); an office
// file carries none this clerk checks, and has no report.
func (c *Clerk) verifyAttachment(ctx context.Context, contentType string, r io.ReaderAt, size int64) (*pades.Report, error) {
	if contentType != envelope.ContentTypePDF {
		return nil, nil
	}
	return c.verifyPDF(ctx, r, size)
}

// allTypes accepts every type this clerk can send: whether the hub and
// the recipients take an office appendix is theirs to say.
var allTypes = func() envelope.Policy {
	var names []string
	for _, t := range envelope.Types() {
		names = append(names, t.Name)
	}
	p, err := envelope.NewPolicy(names)
	if err != nil {
		panic(err) // the package's own list
	}
	return p
}()

// fileType is the type a file is sent as: an office type by its extension
// (.docx, .xlsx, .odt, any case), else a PDF.
func fileType(path string) envelope.Type {
	ext := strings.ToLower(filepath.Ext(path))
	for _, t := range envelope.Types() {
		if t.Extension == ext {
			return t
		}
	}
	return envelope.Types()[0]
}

// stageFile checks an office appendix against its type (envelope.CheckFile)
// and copies it, as it is, into the store: an office file carries no
// signature of its own; the signed packet binds it by its SHA-256.
func (c *Clerk) stageFile(path string, t envelope.Type) (envelope.Attachment, store.Blob, error) {
	f, err := os.Open(path)
	if err != nil {
		return envelope.Attachment{}, store.Blob{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return envelope.Attachment{}, store.Blob{}, err
	}
	if err := envelope.CheckFile(t.ContentType, f, fi.Size()); err != nil {
		return envelope.Attachment{}, store.Blob{}, err
	}
	w, err := c.st.NewAttachment()
	if err != nil {
		return envelope.Attachment{}, store.Blob{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), io.NewSectionReader(f, 0, fi.Size())); err != nil {
		w.Abort()
		return envelope.Attachment{}, store.Blob{}, err
	}
	b, err := w.Close()
	if err != nil {
		return envelope.Attachment{}, store.Blob{}, err
	}
	a := envelope.Attachment{Name: attachmentName(path), ContentType: t.ContentType, Size: fi.Size(), SHA256: hex.EncodeToString(h.Sum(nil))}
	if b.SHA256 != a.SHA256 || b.Size != a.Size {
		return envelope.Attachment{}, store.Blob{}, errors.New("staged attachment differs from the file (changed while read?)")
	}
	return a, b, nil
}
