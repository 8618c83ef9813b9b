package relay

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"lienthong/hub/store"
)

func TestExactReader(t *testing.T) {
	tests := []struct {
		body string
		size int64
		want error
	}{
		{"exactly", 7, nil},
		{"longer than said", 6, store.ErrTooLarge},
		{"short", 9, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		for _, r := range []io.Reader{strings.NewReader(tt.body), iotest.OneByteReader(strings.NewReader(tt.body)), iotest.DataErrReader(strings.NewReader(tt.body))} {
			var out bytes.Buffer
			_, err := io.Copy(&out, &exactReader{r: r, left: tt.size})
			if tt.want == nil {
				if err != nil || out.String() != tt.body {
					t.Errorf("%q of %d: %q, %v", tt.body, tt.size, out.String(), err)
				}
				continue
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("%q of %d: %v, want %v", tt.body, tt.size, err, tt.want)
			}
		}
	}
}
