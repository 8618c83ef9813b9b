package pades

import "errors"

// Sentinel errors for what callers decide on. Errors returned by this
// package wrap one of them with the detail.
var (
	// ErrNotPDF means the input is not a PDF at all (no %PDF- header).
	ErrNotPDF = errors.New("not a PDF file")
	// ErrDamaged means the PDF is truncated or its structure is broken.
	ErrDamaged = errors.New("damaged PDF")
	// ErrEncrypted means the PDF is password-protected; it is neither signed
	// nor verified.
	ErrEncrypted = errors.New("encrypted PDF")
	// ErrUnsupported means a valid PDF uses a feature this package does not
	// handle when signing.
	ErrUnsupported = errors.New("unsupported PDF feature")
	// ErrContentsTooSmall means the signature container did not fit in the
	// space reserved for it.
	ErrContentsTooSmall = errors.New("signature larger than the reserved /Contents space")
	// ErrNoSignatures means Verify found no signature in the document.
	ErrNoSignatures = errors.New("document has no signatures")
)
