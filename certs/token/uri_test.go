package token_test

import (
	"bytes"
	"errors"
	"testing"

	"lienthong/certs/token"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		in   string
		want token.URI
		err  bool
	}{
		{in: "pkcs11:", want: token.URI{}},
		{in: "pkcs11:token=Ban%20C%C6%A1%20y%E1%BA%BFu;object=con-dau;id=%01?module-path=/usr/lib/x.so",
			want: token.URI{Token: "Ban Cơ yếu", Object: "con-dau", ID: []byte{1}, Module: "/usr/lib/x.so"}},
		{in: "pkcs11:serial=0042;type=private", want: token.URI{Serial: "0042"}},
		{in: "pkcs11:object=k?pin-value=1234", err: true},
		{in: "pkcs11:object=k?pin-source=file:/tmp/pin", err: true},
		{in: "pkcs11:type=cert", err: true},
		{in: "pkcs11:slot-id=3", err: true},
		{in: "pkcs11:colour=blue", err: true},
		{in: "pkcs11:object", err: true},
		{in: "pkcs11:object=%zz", err: true},
		{in: "/home/clerk/key.pem", err: true},
	}
	for _, tt := range tests {
		got, err := token.ParseURI(tt.in)
		if tt.err {
			if !errors.Is(err, token.ErrBadURI) {
				t.Errorf("ParseURI(%q) = %v, want ErrBadURI", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tt.in, err)
			continue
		}
		if got.Token != tt.want.Token || got.Serial != tt.want.Serial || got.Object != tt.want.Object ||
			got.Module != tt.want.Module || !bytes.Equal(got.ID, tt.want.ID) {
			t.Errorf("ParseURI(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
