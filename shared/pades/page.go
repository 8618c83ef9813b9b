package pades

import (
	"fmt"
	"io"
)

// PageBox returns the visible area of a 1-based page (its /CropBox, else
// its /MediaBox, inherited through the page tree) as x1 y1 x2 y2 in user
// space. Page rotation is not applied.
func PageBox(src io.ReaderAt, size int64, page int) ([4]float64, error) {
	var box [4]float64
	d, err := openDocument(src, size)
	if err != nil {
		return box, err
	}
	if page <= 0 {
		page = 1
	}
	pages, err := d.pages(page)
	if err != nil {
		return box, d.fam.damaged("page tree: %w", err)
	}
	if len(pages) < page {
		return box, fmt.Errorf("page %d does not exist: the document has %d pages", page, len(pages))
	}
	node, err := d.resolveDict(pages[page-1])
	if err != nil {
		return box, d.fam.damaged("page %d: %w", page, err)
	}
	var media, crop any
	for i := 0; node != nil && i < 64; i++ {
		if media == nil {
			media = node["MediaBox"]
		}
		if crop == nil {
			crop = node["CropBox"]
		}
		pr, ok := node["Parent"].(pdfRef)
		if !ok {
			break
		}
		node, _ = d.resolveDict(pr)
	}
	for _, v := range []any{crop, media} {
		if b, ok := rectangle(d, v); ok {
			return b, d.fam.budget.exceeded()
		}
	}
	if err := d.fam.budget.exceeded(); err != nil {
		return box, err
	}
	return [4]float64{0, 0, 595.28, 841.89}, nil // A4, the ND30 paper size
}

func rectangle(d *document, v any) ([4]float64, bool) {
	var r [4]float64
	v, _ = d.resolveValue(v)
	a, ok := v.(pdfArray)
	if !ok || len(a) != 4 {
		return r, false
	}
	for i, x := range a {
		switch x := x.(type) {
		case int64:
			r[i] = float64(x)
		case float64:
			r[i] = x
		default:
			return r, false
		}
	}
	if r[0] > r[2] {
		r[0], r[2] = r[2], r[0]
	}
	if r[1] > r[3] {
		r[1], r[3] = r[3], r[1]
	}
	return r, r[2] > r[0] && r[3] > r[1]
}

// TopRight places a w x h rectangle in the top right corner of box, margin
// points from its edges: where ND30 puts the agency's text stamp on
// attachments and copies.
func TopRight(box [4]float64, w, h, margin float64) [4]float64 {
	return [4]float64{box[2] - margin - w, box[3] - margin - h, box[2] - margin, box[3] - margin}
}
