package token

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// URI is a parsed RFC 7512 PKCS#11 URI naming a private key.
type URI struct {
	Module string // the PKCS#11 module's path; "" for the default
	Token  string // the token's label
	Serial string // the token's serial number
	Object string // the key's label
	ID     []byte // the key's CKA_ID
}

// ErrBadURI reports a pkcs11: URI that cannot be read or asks for what
// this package refuses (a PIN in the URI).
var ErrBadURI = errors.New("invalid pkcs11 URI")

// IsURI reports whether s names a key in a token.
func IsURI(s string) bool { return strings.HasPrefix(s, "pkcs11:") }

// ParseURI reads a pkcs11: URI (RFC 7512). Unknown attributes are
// refused rather than ignored: a name that says more than we read could
// choose another key than its writer meant.
func ParseURI(s string) (URI, error) {
	var u URI
	rest, ok := strings.CutPrefix(s, "pkcs11:")
	if !ok {
		return u, fmt.Errorf("%w: no pkcs11: scheme", ErrBadURI)
	}
	path, query, _ := strings.Cut(rest, "?")
	for _, part := range splitNonEmpty(path, ";") {
		k, v, err := attr(part)
		if err != nil {
			return u, err
		}
		switch k {
		case "token":
			u.Token = v
		case "serial":
			u.Serial = v
		case "object":
			u.Object = v
		case "id":
			u.ID = []byte(v)
		case "type":
			if v != "private" {
				return u, fmt.Errorf("%w: type=%s, want private", ErrBadURI, v)
			}
		case "manufacturer", "model", "library-manufacturer", "library-description", "library-version", "slot-id", "slot-description", "slot-manufacturer":
			return u, fmt.Errorf("%w: attribute %q is not supported; name the token by token= or serial=", ErrBadURI, k)
		default:
			return u, fmt.Errorf("%w: unknown attribute %q", ErrBadURI, k)
		}
	}
	for _, part := range splitNonEmpty(query, "&") {
		k, v, err := attr(part)
		if err != nil {
			return u, err
		}
		switch k {
		case "module-path":
			u.Module = v
		case "pin-value", "pin-source":
			return u, fmt.Errorf("%w: %s is refused: the PIN is asked, never written in a key's name", ErrBadURI, k)
		default:
			return u, fmt.Errorf("%w: unknown query attribute %q", ErrBadURI, k)
		}
	}
	return u, nil
}

func splitNonEmpty(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

func attr(part string) (string, string, error) {
	k, v, ok := strings.Cut(part, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("%w: %q is not name=value", ErrBadURI, part)
	}
	v, err := url.PathUnescape(v)
	if err != nil {
		return "", "", fmt.Errorf("%w: %s: %v", ErrBadURI, k, err)
	}
	return k, v, nil
}

// String writes u back as a pkcs11: URI that ParseURI reads as u: each
// value percent-encoded but for unreserved characters (and '/' in the
// module's path), the attributes in a fixed order.
func (u URI) String() string {
	var path []string
	for _, a := range []struct{ k, v string }{{"token", u.Token}, {"serial", u.Serial}, {"object", u.Object}, {"id", string(u.ID)}} {
		if a.v != "" {
			path = append(path, a.k+"="+escape(a.v, false))
		}
	}
	s := "pkcs11:" + strings.Join(path, ";")
	if u.Module != "" {
		s += "?module-path=" + escape(u.Module, true)
	}
	return s
}

// escape percent-encodes every byte of v but RFC 3986's unreserved
// characters, and '/' when slash.
func escape(v string, slash bool) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 || slash && c == '/' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
