package pades

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// objStream is a decoded object stream: its data and where each of its
// objects starts.
type objStream struct {
	data []byte
	nums []int // object number of each index
	offs []int // index -> offset into data (already past First)
}

// objStream returns object stream num, decoded once for the document and
// the revisions read with it (the cache holds only what the budget paid
// for).
func (d *document) objStream(num int) (*objStream, error) {
	if os, ok := d.objstms[num]; ok {
		return os, nil
	}
	e, ok := d.xref[num]
	if !ok || e.Kind != entryInUse {
		return nil, fmt.Errorf("object stream %d missing", num)
	}
	v, err := d.readObjectAt(e.Offset, &pdfRef{Num: num, Gen: e.Gen})
	if err != nil {
		return nil, err
	}
	s, ok := v.(*pdfStream)
	if !ok || s.dict.name("Type") != "ObjStm" {
		return nil, fmt.Errorf("object %d is not an object stream", num)
	}
	key := streamKey{s.Off, s.Len}
	if os, ok := d.fam.objstms[key]; ok {
		if os == nil {
			return nil, fmt.Errorf("object stream %d is damaged", num)
		}
		d.objstms[num] = os
		return os, nil
	}
	d.fam.objstms[key] = nil
	data, err := d.decodeStream(s)
	if err != nil {
		return nil, err
	}
	n, _ := s.dict["N"].(int64)
	first, _ := s.dict["First"].(int64)
	if n < 0 || n > first/4+1 || first < 0 || first > int64(len(data)) {
		// Each entry of the header is at least "1 0 ".
		return nil, fmt.Errorf("bad object stream header")
	}
	os := &objStream{data: data, nums: make([]int, 0, n), offs: make([]int, 0, n)}
	l := newLexer(bytes.NewReader(data[:first]), first, 0)
	for i := 0; i < int(n); i++ {
		on, err := l.integer()
		if err != nil {
			return nil, err
		}
		oo, err := l.integer()
		if err != nil {
			return nil, err
		}
		if oo < 0 || first+oo > int64(len(data)) {
			return nil, fmt.Errorf("bad object stream offset")
		}
		os.nums = append(os.nums, int(on))
		os.offs = append(os.offs, int(first+oo))
	}
	d.fam.objstms[key] = os
	d.objstms[num] = os
	return os, nil
}

// decodeStream returns a stream's decoded data. Only what cross-reference
// and object streams use is supported: no filter, or FlateDecode with an
// optional PNG or TIFF predictor.
func (d *document) decodeStream(s *pdfStream) ([]byte, error) {
	if s.Len > maxDecoded {
		return nil, fmt.Errorf("stream too large")
	}
	if err := d.fam.budget.chargeDecoded(s.Len); err != nil {
		return nil, err // raw bytes are read into memory too
	}
	raw := make([]byte, s.Len)
	if _, err := d.src.ReadAt(raw, s.Off); err != nil {
		return nil, fmt.Errorf("read stream: %w", err)
	}
	var filter pdfName
	switch f := s.dict["Filter"].(type) {
	case nil:
		return raw, nil // charged as read
	case pdfName:
		filter = f
	case pdfArray:
		if len(f) == 0 {
			return raw, nil
		}
		if len(f) != 1 {
			return nil, fmt.Errorf("unsupported filter chain")
		}
		filter, _ = f[0].(pdfName)
	}
	if filter != "FlateDecode" {
		return nil, fmt.Errorf("unsupported filter /%s", filter)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("flate: %w", err)
	}
	// Decode no further than the budget allows: a bomb stops here, having
	// cost what the budget left, not what it asks for.
	limit := min(int64(maxDecoded), d.fam.budget.decodedLeft())
	data, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("flate: %w", err)
	}
	if err := d.fam.budget.chargeDecoded(int64(len(data))); err != nil {
		return nil, err
	}
	if len(data) > maxDecoded {
		return nil, fmt.Errorf("stream decodes to more than %d bytes", maxDecoded)
	}
	parms, _ := s.dict["DecodeParms"].(pdfDict)
	if a, ok := s.dict["DecodeParms"].(pdfArray); ok && len(a) == 1 {
		parms, _ = a[0].(pdfDict)
	}
	pred, _ := parms["Predictor"].(int64)
	if pred <= 1 {
		return data, nil
	}
	cols, ok := parms["Columns"].(int64)
	if !ok {
		cols = 1
	}
	colors, ok := parms["Colors"].(int64)
	if !ok {
		colors = 1
	}
	bpc, ok := parms["BitsPerComponent"].(int64)
	if !ok {
		bpc = 8
	}
	if cols <= 0 || cols > 1<<20 || colors <= 0 || colors > 32 || bpc != 8 {
		return nil, fmt.Errorf("unsupported predictor parameters")
	}
	return unpredict(data, int(pred), int(cols*colors), int(colors))
}

func unpredict(data []byte, pred, rowLen, bpp int) ([]byte, error) {
	if pred == 2 { // TIFF
		for r := 0; r+rowLen <= len(data); r += rowLen {
			for i := bpp; i < rowLen; i++ {
				data[r+i] += data[r+i-bpp]
			}
		}
		return data, nil
	}
	if pred < 10 {
		return nil, fmt.Errorf("unsupported predictor %d", pred)
	}
	out := make([]byte, 0, len(data))
	prev := make([]byte, rowLen)
	for p := 0; p+rowLen+1 <= len(data); p += rowLen + 1 {
		ft := data[p]
		row := append([]byte(nil), data[p+1:p+1+rowLen]...)
		for i := range row {
			var a, c byte
			if i >= bpp {
				a = row[i-bpp]
				c = prev[i-bpp]
			}
			b := prev[i]
			switch ft {
			case 0:
			case 1:
				row[i] += a
			case 2:
				row[i] += b
			case 3:
				row[i] += byte((int(a) + int(b)) / 2)
			case 4:
				row[i] += paeth(a, b, c)
			default:
				return nil, fmt.Errorf("bad PNG filter type %d", ft)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
