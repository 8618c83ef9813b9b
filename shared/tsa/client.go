package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"strings"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Media types of RFC 3161 over HTTP.
const (
	ContentTypeQuery = "application/timestamp-query"
	ContentTypeReply = "application/timestamp-reply"
)

// MaxResponseSize bounds the response body Request reads.
const MaxResponseSize = 256 << 10

// Request asks the TSA at url for a token over digest (computed with hash),
// with a fresh 64-bit nonce and certReq set. It returns the DER token after
// checking the status, the token's signature and timestamping certificate,
// and that the nonce and message imprint are the ones sent. It does not
// check the TSA's chain: verify the token with trusted roots where it is
// used. A nil client means http.DefaultClient.
func Request(ctx context.Context, client *http.Client, url string, digest []byte, hash crypto.Hash) ([]byte, error) {
	if oidFromHash(hash) == nil {
		return nil, fmt.Errorf("timestamp request: unsupported hash %v", hash)
	}
	if len(digest) != hash.Size() {
		return nil, fmt.Errorf("timestamp request: digest of %d bytes for %v", len(digest), hash)
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("timestamp request nonce: %w", err)
	}
	query, err := (&timestamp.Request{
		HashAlgorithm: hash,
		HashedMessage: digest,
		Certificates:  true,
		Nonce:         nonce,
	}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode timestamp request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(query))
	if err != nil {
		return nil, fmt.Errorf("timestamp request: %w", err)
	}
	req.Header.Set("Content-Type", ContentTypeQuery)
	req.Header.Set("Accept", ContentTypeReply)
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("timestamp request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("read timestamp response: %w", err)
	}
	if len(body) > MaxResponseSize {
		return nil, fmt.Errorf("timestamp response larger than %d bytes", MaxResponseSize)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != ContentTypeReply {
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%w: http status %s: %s", ErrRejected, resp.Status, firstLine(body))
		}
		return nil, fmt.Errorf("timestamp response has content type %q, want %s", mt, ContentTypeReply)
	}
	token, err := ParseResponse(body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: http status %s with a granted response", ErrRejected, resp.Status)
	}
	tok, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	if tok.Nonce == nil || tok.Nonce.Cmp(nonce) != 0 {
		return nil, ErrNonceMismatch
	}
	if err := tok.CheckImprint(hash, digest); err != nil {
		return nil, err
	}
	if err := tok.VerifySignature(); err != nil {
		return nil, err
	}
	return tok.Raw, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "?")
}

// StatusError is a TimeStampResp whose status is neither granted nor
// grantedWithMods. It wraps ErrRejected.
type StatusError struct {
	Status      timestamp.Status
	FailureInfo timestamp.FailureInfo
	Text        string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("timestamp request rejected: %s", e.Status)
	if e.FailureInfo != timestamp.UnknownFailureInfo {
		msg += ": " + e.FailureInfo.String()
	}
	if e.Text != "" {
		msg += fmt.Sprintf(" (%q)", e.Text)
	}
	return msg
}

func (e *StatusError) Unwrap() error { return ErrRejected }

// ParseResponse reads a DER TimeStampResp and returns its token, or a
// *StatusError when the TSA refused.
func ParseResponse(der []byte) ([]byte, error) {
	in := cryptobyte.String(der)
	var resp, statusInfo cryptobyte.String
	var status int64
	if !in.ReadASN1(&resp, cbasn1.SEQUENCE) || !in.Empty() ||
		!resp.ReadASN1(&statusInfo, cbasn1.SEQUENCE) || !statusInfo.ReadASN1Integer(&status) {
		return nil, fmt.Errorf("%w: not a TimeStampResp", ErrMalformedToken)
	}
	if status != int64(timestamp.Granted) && status != int64(timestamp.GrantedWithMods) {
		se := &StatusError{Status: timestamp.Status(status), FailureInfo: timestamp.UnknownFailureInfo}
		if statusInfo.PeekASN1Tag(cbasn1.SEQUENCE) {
			var texts cryptobyte.String
			statusInfo.ReadASN1(&texts, cbasn1.SEQUENCE)
			var s cryptobyte.String
			if texts.ReadASN1(&s, cbasn1.UTF8String) {
				se.Text = strings.ToValidUTF8(string(s), "?")
			}
		}
		var bits asn1.BitString
		if statusInfo.ReadASN1BitString(&bits) {
			for i := 0; i < bits.BitLength; i++ {
				if bits.At(i) == 1 {
					se.FailureInfo = timestamp.FailureInfo(i)
					break
				}
			}
		}
		return nil, se
	}
	var token cryptobyte.String
	if !resp.ReadASN1Element(&token, cbasn1.SEQUENCE) || !resp.Empty() {
		return nil, fmt.Errorf("%w: granted response without a token", ErrMalformedToken)
	}
	return token, nil
}
