package clerk

import (
	"crypto/x509"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
)

// TestMergeCRLs: a list from the hub never replaces a newer one the clerk
// holds (no rollback of a revocation), and lists of issuers the hub no
// longer serves are kept only while current.
func TestMergeCRLs(t *testing.T) {
	p := certstest.New(t)
	otherRoot, err := certs.NewRoot(certs.CAName{CommonName: "Other Root"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	otherCA, err := otherRoot.NewIssuing(certs.CAName{CommonName: "Other Issuing CA"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	crl := func(ca *certs.Authority, number int64, validity time.Duration) *x509.RevocationList {
		der, err := ca.CRL(nil, number, validity)
		if err != nil {
			t.Fatal(err)
		}
		l, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	now := time.Now()
	newer, older, newest := crl(p.Issuing, 5, 0), crl(p.Issuing, 3, 0), crl(p.Issuing, 6, 0)
	current, stale := crl(otherCA, 1, 0), crl(otherCA, 1, time.Minute)
	tests := []struct {
		name            string
		cached, fetched []*x509.RevocationList
		at              time.Time
		want            []*x509.RevocationList
	}{
		{"an older list does not replace a newer one", []*x509.RevocationList{newer}, []*x509.RevocationList{older}, now, []*x509.RevocationList{newer}},
		{"a newer list replaces an older one", []*x509.RevocationList{newer}, []*x509.RevocationList{newest}, now, []*x509.RevocationList{newest}},
		{"another issuer's current list is kept", []*x509.RevocationList{current}, []*x509.RevocationList{newer}, now, []*x509.RevocationList{newer, current}},
		{"another issuer's stale list is dropped", []*x509.RevocationList{stale}, []*x509.RevocationList{newer}, now.Add(time.Hour), []*x509.RevocationList{newer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeCRLs(tt.cached, tt.fetched, tt.at)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lists, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("list %d: number %v, want %v", i, got[i].Number, tt.want[i].Number)
				}
			}
		})
	}
}
