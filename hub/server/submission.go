package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"

	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/internal/bufpool"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// formOverhead bounds what a multipart submission carries besides the
// packet and the attachments: the parts' boundaries and headers.
const formOverhead = 64 << 10

// readSubmission reads the body of POST /v1/messages: the packet alone,
// or a multipart/form-data body with the packet first and the attachments
// sent with it (wire.PartPacket, wire.PartAttachment).
func (s *Server) readSubmission(r *request) (packet []byte, inline relay.Inline, err error) {
	mt, params, perr := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if perr != nil || mt != "multipart/form-data" {
		packet, err = s.readBody(r, envelope.MaxPacketSize)
		return packet, nil, err
	}
	body, err := s.readBody(r, envelope.MaxPacketSize+wire.MaxInline+formOverhead)
	if err != nil {
		return nil, nil, err
	}
	return parseSubmissionForm(body, params["boundary"])
}

// parseSubmissionForm reads a multipart/form-data submission: a part
// named packet first, then parts named attachment whose filenames are
// their SHA-256, each at most once, at most wire.MaxInline bytes in all.
// Whether the packet names those attachments is the relay's check.
func parseSubmissionForm(body []byte, boundary string) (packet []byte, inline relay.Inline, err error) {
	if boundary == "" {
		return nil, nil, fmt.Errorf("%w: a multipart body without a boundary", errBadRequest)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	inline = relay.Inline{}
	var total int64
	for i := 0; ; i++ {
		// Raw: the bytes as sent, whatever a Content-Transfer-Encoding says.
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: the multipart body: %w", errBadRequest, err)
		}
		name, filename := formNames(p)
		switch {
		case i == 0 && name != wire.PartPacket:
			return nil, nil, fmt.Errorf("%w: the first part must be %q", errBadRequest, wire.PartPacket)
		case i == 0:
			if packet, err = readPart(p, envelope.MaxPacketSize); err != nil {
				return nil, nil, fmt.Errorf("the packet: %w", err)
			}
		case name != wire.PartAttachment:
			return nil, nil, fmt.Errorf("%w: part %d is %q; after the packet come only %q parts", errBadRequest, i+1, name, wire.PartAttachment)
		case !envelope.ValidSHA256(filename):
			return nil, nil, fmt.Errorf("%w: part %d: an attachment's filename must be its SHA-256 in lower-case hexadecimal", errBadRequest, i+1)
		default:
			if _, dup := inline[filename]; dup {
				return nil, nil, fmt.Errorf("%w: attachment %s sent twice", errBadRequest, filename)
			}
			b, err := readPart(p, wire.MaxInline-total)
			if err != nil {
				return nil, nil, fmt.Errorf("attachments sent with the packet (%d bytes at most in all): %w", wire.MaxInline, err)
			}
			total += int64(len(b))
			inline[filename] = b
		}
	}
	if packet == nil {
		return nil, nil, fmt.Errorf("%w: no %q part", errBadRequest, wire.PartPacket)
	}
	return packet, inline, nil
}

// formNames returns a form-data part's name and filename, as sent (not
// reduced to a base name as multipart.Part.FileName does).
func formNames(p *multipart.Part) (name, filename string) {
	disp, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil || disp != "form-data" {
		return "", ""
	}
	return params["name"], params["filename"]
}

// readPart reads a part of at most limit bytes into a buffer of its
// length. It reads through one of partScratch's buffers first: sized
// for the whole body, as before, each part cost its body's length
// however short it was.
func readPart(p *multipart.Part, limit int64) ([]byte, error) {
	buf := partScratch.Get()
	defer partScratch.Put(buf)
	if _, err := buf.ReadFrom(io.LimitReader(p, limit+1)); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRequest, err)
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", store.ErrTooLarge, limit)
	}
	part := make([]byte, buf.Len())
	copy(part, buf.Bytes())
	return part, nil
}

// partScratch holds readPart's buffers while they are at most twice
// wire.MaxInline, which the attachments a submission may carry fit (and
// so does any usual packet).
var partScratch = &bufpool.Pool{Max: 2 * wire.MaxInline}
