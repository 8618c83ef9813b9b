package cms

import "fmt"

// maxBERDepth bounds the nesting that berToDER follows.
const maxBERDepth = 48

// berToDER re-encodes the first BER element of in with definite, minimal
// lengths and primitive OCTET STRINGs, and returns it with what follows it.
// NSS (and so poppler's pdfsig) writes CMS with indefinite lengths; the signed
// attributes inside are DER already, as RFC 5652 requires, and elements that
// are already DER come out byte for byte unchanged. It does not sort SETs.
func berToDER(in []byte, depth int) (out, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, malformed("ber nesting too deep")
	}
	tag, constructed, body, indefinite, rest, err := readBERHeader(in)
	if err != nil {
		return nil, nil, err
	}
	var contents []byte
	if !constructed {
		return appendDER(nil, tag, body), rest, nil
	}
	isOctetString := len(tag) == 1 && tag[0] == 0x24
	for {
		if indefinite {
			if len(rest) < 2 {
				return nil, nil, malformed("ber indefinite length without end-of-contents")
			}
			if rest[0] == 0 && rest[1] == 0 {
				rest = rest[2:]
				break
			}
			var child []byte
			child, rest, err = berToDER(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			contents, err = appendChild(contents, child, isOctetString)
		} else {
			if len(body) == 0 {
				break
			}
			var child []byte
			child, body, err = berToDER(body, depth+1)
			if err != nil {
				return nil, nil, err
			}
			contents, err = appendChild(contents, child, isOctetString)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if isOctetString {
		return appendDER(nil, []byte{0x04}, contents), rest, nil
	}
	return appendDER(nil, tag, contents), rest, nil
}

// appendChild adds a converted child; the pieces of a constructed OCTET
// STRING are joined into one primitive value.
func appendChild(contents, child []byte, joinOctets bool) ([]byte, error) {
	if !joinOctets {
		return append(contents, child...), nil
	}
	tag, constructed, body, _, _, err := readBERHeader(child)
	if err != nil || constructed || len(tag) != 1 || tag[0] != 0x04 {
		return nil, malformed("ber constructed octet string holds a non-octet-string")
	}
	return append(contents, body...), nil
}

// readBERHeader reads an identifier and length. For a definite length, body
// is the contents and rest what follows; for an indefinite one body is nil
// and rest starts at the first child.
func readBERHeader(in []byte) (tag []byte, constructed bool, body []byte, indefinite bool, rest []byte, err error) {
	if len(in) < 2 {
		return nil, false, nil, false, nil, malformed("truncated ber element")
	}
	i := 1
	if in[0]&0x1f == 0x1f { // high tag number: base-128 octets
		for {
			if i >= len(in) || i > 4 {
				return nil, false, nil, false, nil, malformed("ber tag")
			}
			i++
			if in[i-1]&0x80 == 0 {
				break
			}
		}
	}
	tag = in[:i]
	constructed = in[0]&0x20 != 0
	if i >= len(in) {
		return nil, false, nil, false, nil, malformed("truncated ber element")
	}
	l := int(in[i])
	i++
	switch {
	case l == 0x80:
		if !constructed {
			return nil, false, nil, false, nil, malformed("ber indefinite length on a primitive")
		}
		return tag, true, nil, true, in[i:], nil
	case l > 0x80:
		n := l & 0x7f
		if n > 4 || i+n > len(in) {
			return nil, false, nil, false, nil, malformed("ber length")
		}
		l = 0
		for _, b := range in[i : i+n] {
			l = l<<8 | int(b)
		}
		i += n
	}
	if l > len(in)-i {
		return nil, false, nil, false, nil, malformed(fmt.Sprintf("ber length %d exceeds the %d bytes left", l, len(in)-i))
	}
	return tag, constructed, in[i : i+l], false, in[i+l:], nil
}

// appendDER appends tag, a minimal definite length and contents.
func appendDER(dst, tag, contents []byte) []byte {
	dst = append(dst, tag...)
	n := len(contents)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 1<<8:
		dst = append(dst, 0x81, byte(n))
	case n < 1<<16:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, contents...)
}
