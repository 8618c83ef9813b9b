package pades

import (
	"fmt"
	"sort"

	"lienthong/shared/stamp"
)

// putAppearance writes the visible appearance as a Form XObject (number
// num) scaled into a w x h rectangle, and its images as image XObjects with
// soft masks for their alpha channels.
func putAppearance(u *update, num int, a *stamp.Appearance) error {
	if a.Width <= 0 || a.Height <= 0 {
		return fmt.Errorf("appearance has no size (%gx%g)", a.Width, a.Height)
	}
	names := make([]string, 0, len(a.Images))
	for n := range a.Images {
		names = append(names, n)
	}
	sort.Strings(names)
	xobjs := pdfDict{}
	for _, n := range names {
		img := a.Images[n]
		if img == nil || img.Width <= 0 || img.Height <= 0 || len(img.Data) == 0 {
			return fmt.Errorf("appearance image %q is empty", n)
		}
		imgNum := u.alloc()
		d := pdfDict{
			"Type": pdfName("XObject"), "Subtype": pdfName("Image"),
			"Width": int64(img.Width), "Height": int64(img.Height),
			"ColorSpace": pdfName("DeviceRGB"), "BitsPerComponent": int64(8),
			"Filter": pdfName("FlateDecode"),
		}
		if img.Alpha != nil {
			maskNum := u.alloc()
			u.putStream(maskNum, pdfDict{
				"Type": pdfName("XObject"), "Subtype": pdfName("Image"),
				"Width": int64(img.Width), "Height": int64(img.Height),
				"ColorSpace": pdfName("DeviceGray"), "BitsPerComponent": int64(8),
				"Filter": pdfName("FlateDecode"),
			}, img.Alpha)
			d["SMask"] = pdfRef{Num: maskNum}
		}
		u.putStream(imgNum, d, img.Data)
		xobjs[pdfName(n)] = pdfRef{Num: imgNum}
	}
	// The form's BBox is the appearance's own size; the viewer scales it
	// onto the widget rectangle (PDF 32000-1, 12.5.5).
	form := pdfDict{
		"Type": pdfName("XObject"), "Subtype": pdfName("Form"),
		"BBox":      pdfArray{int64(0), int64(0), a.Width, a.Height},
		"Resources": pdfDict{},
	}
	if len(xobjs) > 0 {
		form["Resources"] = pdfDict{"XObject": xobjs}
	}
	u.putStream(num, form, a.Content)
	return nil
}
