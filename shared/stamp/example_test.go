package stamp_test

import (
	"fmt"
	"time"

	"lienthong/shared/stamp"
)

func ExampleSigningTime() {
	t := time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC)
	fmt.Println(stamp.SigningTime(t))
	// Output: 2026-11-23T09:15:00+07:00
}

func ExampleAgencyText() {
	a, err := stamp.AgencyText("1234", "STTTT-CNTT", time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The PDF writer wraps a.Content in a Form XObject with this /BBox.
	fmt.Printf("/BBox [0 0 %g %g], %d images\n", a.Width, a.Height, len(a.Images))
	// Output: /BBox [0 0 177.05 27.2], 0 images
}

func ExampleImageStamp() {
	sig := stamp.DemoSignature("Nguyễn Văn An")
	seal := stamp.DemoSeal("Ủy ban nhân dân tỉnh Quảng Ninh", 400)
	a, err := stamp.ImageStamp(sig, seal, 220, 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{stamp.PersonImage, stamp.SealImage} {
		img := a.Images[name]
		fmt.Printf("/%s: %d × %d pixels, soft mask %v\n", name, img.Width, img.Height, img.Alpha != nil)
	}
	// Output:
	// /Im1: 417 × 107 pixels, soft mask true
	// /Im2: 400 × 400 pixels, soft mask true
}
