package tsa

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"lienthong/certs"
	"lienthong/shared/cms"
)

// MaxRequestSize bounds a timestamp query's body. Real queries are under
// 200 bytes.
const MaxRequestSize = 4 << 10

// DefaultPolicy is the TSA policy written when Server.Policy is empty. It is
// a placeholder under a private-enterprise arc this project has not
// registered: a production TSA must set Policy to the operator's own OID.
var DefaultPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 61031, 1, 3161, 1}

// Server issues RFC 3161 timestamp tokens over HTTP POST. The zero value is
// not usable: set Signer and optionally the rest, then call Validate
// before serving (ServeHTTP validates on its first request and answers 500
// while the configuration is wrong).
type Server struct {
	// Signer signs the tokens. Its certificate is the TSA certificate:
	// extended key usage timeStamping only, critical.
	Signer certs.Signer
	// Policy is the TSA policy OID; DefaultPolicy if empty. Requests naming
	// another policy are refused.
	Policy asn1.ObjectIdentifier
	// Now gives the time; time.Now if nil.
	Now func() time.Time
	// Logger receives one line per request; slog.Default() if nil.
	Logger *slog.Logger

	mu         sync.Mutex
	lastSerial *big.Int
	validated  bool
	invalid    error
}

// Validate checks the configuration: a timestamping certificate, a key that
// matches it, a hash to sign with.
func (s *Server) Validate() error {
	if s.Signer == nil || len(s.Signer.Certificates()) == 0 || s.Signer.Certificates()[0] == nil {
		return errors.New("tsa: a signer with its certificate is required")
	}
	if err := checkTimestampingCert(s.cert()); err != nil {
		return fmt.Errorf("tsa: %w", err)
	}
	if !certs.SameKey(s.Signer, s.cert().PublicKey) {
		return errors.New("tsa: key does not match the certificate")
	}
	if _, err := cms.NewEncapsulatedBuilder(cms.OIDTSTInfo, []byte{0x30, 0}, s.signingHash(), s.chain()); err != nil {
		return fmt.Errorf("tsa: %w", err)
	}
	return nil
}

func (s *Server) chain() []*x509.Certificate { return s.Signer.Certificates() }

func (s *Server) cert() *x509.Certificate { return s.Signer.Certificates()[0] }

// signingHash matches the hash to the key (certs.SigningHash).
func (s *Server) signingHash() crypto.Hash { return certs.SigningHash(s.Signer.Public()) }

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) policy() asn1.ObjectIdentifier {
	if len(s.Policy) > 0 {
		return s.Policy
	}
	return DefaultPolicy
}

// nextSerial returns max(previous+1, now in nanoseconds).
func (s *Server) nextSerial(now time.Time) *big.Int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := big.NewInt(now.UnixNano())
	if s.lastSerial != nil && n.Cmp(s.lastSerial) <= 0 {
		n.Add(s.lastSerial, big.NewInt(1))
	}
	s.lastSerial = n
	return new(big.Int).Set(n)
}

func (s *Server) checkConfig() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.validated {
		s.invalid = s.Validate()
		s.validated = true
	}
	return s.invalid
}

// ServeHTTP answers a POST of application/timestamp-query with an
// application/timestamp-reply. Malformed or refused queries get HTTP 400 (413
// when too large) with a TimeStampResp stating the failure, so both HTTP and
// RFC 3161 clients see why; a wrong method or media type gets a plain-text
// 405 or 415.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := s.logger().With("remote", r.RemoteAddr)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "timestamp queries must be POSTed", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != ContentTypeQuery {
		http.Error(w, "content type must be "+ContentTypeQuery, http.StatusUnsupportedMediaType)
		return
	}
	if err := s.checkConfig(); err != nil {
		log.Error("tsa misconfigured", "err", err)
		s.fail(w, http.StatusInternalServerError, timestamp.SystemFailure, "timestamping service misconfigured")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestSize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.fail(w, http.StatusRequestEntityTooLarge, timestamp.BadDataFormat, "request too large")
			return
		}
		log.Info("tsa read request", "err", err)
		s.fail(w, http.StatusBadRequest, timestamp.BadRequest, "cannot read request")
		return
	}
	resp, failure, msg := s.respond(body)
	if failure != timestamp.UnknownFailureInfo {
		log.Info("timestamp refused", "reason", msg)
		s.fail(w, http.StatusBadRequest, failure, msg)
		return
	}
	w.Header().Set("Content-Type", ContentTypeReply)
	w.WriteHeader(http.StatusOK)
	w.Write(resp)
}

// respond builds a granted TimeStampResp, or names the failure.
func (s *Server) respond(query []byte) ([]byte, timestamp.FailureInfo, string) {
	req, err := timestamp.ParseRequest(query)
	if err != nil {
		return nil, timestamp.BadDataFormat, "malformed timestamp query"
	}
	rawImprint, version, ok := rawMessageImprint(query)
	if !ok || version != 1 {
		return nil, timestamp.BadDataFormat, "unsupported timestamp query version"
	}
	hash := req.HashAlgorithm
	if oidFromHash(hash) == nil {
		return nil, timestamp.BadAlgorithm, fmt.Sprintf("unsupported hash %v", hash)
	}
	if len(req.HashedMessage) != hash.Size() {
		return nil, timestamp.BadDataFormat, "message imprint length does not match its hash"
	}
	if req.TSAPolicyOID != nil && !req.TSAPolicyOID.Equal(s.policy()) {
		return nil, timestamp.UnacceptedPolicy, "unsupported policy"
	}
	if len(req.Extensions) > 0 {
		return nil, timestamp.UnacceptedExtension, "extensions are not supported"
	}
	if req.Nonce != nil && (req.Nonce.Sign() < 0 || req.Nonce.BitLen() > 160) {
		return nil, timestamp.BadDataFormat, "nonce out of range"
	}
	now := s.now().UTC().Truncate(time.Second)
	serial := s.nextSerial(now)
	info, err := s.tstInfo(rawImprint, serial, now, req.Nonce)
	if err != nil {
		s.logger().Error("tsa encode TSTInfo", "err", err)
		return nil, timestamp.SystemFailure, "internal error"
	}
	b, err := cms.NewEncapsulatedBuilder(cms.OIDTSTInfo, info, s.signingHash(), s.chain())
	if err != nil {
		s.logger().Error("tsa build token", "err", err)
		return nil, timestamp.SystemFailure, "internal error"
	}
	if !req.Certificates {
		b.WithoutCertificates()
	}
	token, err := b.SignWith(s.Signer)
	if err != nil {
		s.logger().Error("tsa sign token", "err", err)
		return nil, timestamp.SystemFailure, "internal error"
	}
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64(int64(timestamp.Granted)) })
		b.AddBytes(token)
	})
	resp, err := out.Bytes()
	if err != nil {
		return nil, timestamp.SystemFailure, "internal error"
	}
	s.logger().Info("timestamp issued", "serial", serial.String(), "hash", hash.String(), "certs", req.Certificates)
	return resp, timestamp.UnknownFailureInfo, ""
}

// rawMessageImprint returns the query's version and its messageImprint
// element as sent, to be echoed byte for byte in the TSTInfo.
func rawMessageImprint(query []byte) ([]byte, int64, bool) {
	in := cryptobyte.String(query)
	var seq, imprint cryptobyte.String
	var version int64
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&version) ||
		!seq.ReadASN1Element(&imprint, cbasn1.SEQUENCE) {
		return nil, 0, false
	}
	return imprint, version, true
}

func (s *Server) tstInfo(rawImprint []byte, serial *big.Int, now time.Time, nonce *big.Int) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1ObjectIdentifier(s.policy())
		b.AddBytes(rawImprint)
		b.AddASN1BigInt(serial)
		b.AddASN1GeneralizedTime(now)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64(1) }) // accuracy: 1 s
		if nonce != nil {
			b.AddASN1BigInt(nonce)
		}
		// tsa [0] GeneralName: directoryName [4] with the TSA's subject.
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddBytes(s.cert().RawSubject)
			})
		})
	})
	return b.Bytes()
}

// fail writes a rejection TimeStampResp with an explanatory text.
func (s *Server) fail(w http.ResponseWriter, code int, info timestamp.FailureInfo, text string) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(int64(timestamp.Rejection))
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(text)) })
			})
			bits := make([]byte, int(info)/8+1)
			bits[int(info)/8] = 0x80 >> (uint(info) % 8)
			b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
				b.AddUint8(uint8(7 - int(info)%8)) // unused bits after the last set one
				b.AddBytes(bits)
			})
		})
	})
	resp, err := b.Bytes()
	if err != nil {
		http.Error(w, text, code)
		return
	}
	w.Header().Set("Content-Type", ContentTypeReply)
	w.WriteHeader(code)
	w.Write(resp)
}
