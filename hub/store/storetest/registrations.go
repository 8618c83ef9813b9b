package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
)

// testCertificateRegistrations: the certificates of other CAs registered
// for an agency are kept with its entry, change it like any field (a
// version in its history, the record the log commits to), and a removal
// is a version too; malformed registrations are refused.
func testCertificateRegistrations(t *testing.T, s store.Store) {
	fp := func(b byte) certs.Fingerprint {
		var f certs.Fingerprint
		for i := range f {
			f[i] = b
		}
		return f
	}
	seal := certs.Registration{SHA256: fp(0xa1), Role: certs.RoleAgency}
	person := certs.Registration{SHA256: fp(0xb2), Role: certs.RolePerson, Person: "Nguyễn Văn An"}
	base := store.Agency{Code: Caobang, Name: "UBND tỉnh Cao Bằng", Level: 1, Active: true}
	registered := base
	registered.Certificates = []certs.Registration{seal, person}
	removed := base
	removed.Certificates = []certs.Registration{person}
	for i, a := range []store.Agency{base, registered, registered, removed} {
		changed, err := s.UpsertAgency(ctx, &a, T0.Add(time.Duration(i)*time.Hour))
		if err != nil || changed != (i != 2) {
			t.Fatalf("upsert %d: changed=%v err=%v", i, changed, err)
		}
	}
	cur, err := s.Agency(ctx, Caobang)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cur.Certificates, removed.Certificates) {
		t.Fatalf("current certificates = %+v, want %+v", cur.Certificates, removed.Certificates)
	}
	all, err := s.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(a store.Agency) bool { return a.Code == Caobang })
	if i < 0 || !slices.Equal(all[i].Certificates, removed.Certificates) {
		t.Fatalf("Agencies lists %+v", all)
	}
	hist, err := s.AgencyHistory(ctx, Caobang)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || len(hist[0].Certificates) != 0 || !slices.Equal(hist[1].Certificates, registered.Certificates) ||
		!slices.Equal(hist[2].Certificates, removed.Certificates) {
		t.Fatalf("history = %+v", hist)
	}
	// The record the log commits to names the registration as the wire
	// does (wire.AgencyCertificate): hex SHA-256, role, person.
	var rec struct {
		Certificates []struct{ SHA256, Role, Person string }
	}
	if err := json.Unmarshal(hist[1].Record, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Certificates) != 2 || rec.Certificates[0].SHA256 != seal.SHA256.String() || rec.Certificates[0].Role != "agency" ||
		rec.Certificates[1].Person != "Nguyễn Văn An" {
		t.Fatalf("record = %s", hist[1].Record)
	}
	bad := map[string][]certs.Registration{
		"UnknownRole":       {{SHA256: fp(1), Role: "admin"}},
		"PersonWithoutName": {{SHA256: fp(1), Role: certs.RolePerson}},
		"SealWithAName":     {{SHA256: fp(1), Role: certs.RoleSeal, Person: "Nguyễn Văn An"}},
		"Twice":             {seal, seal},
		"HiddenCharacters":  {{SHA256: fp(1), Role: certs.RolePerson, Person: "Nguyễn\u200bVăn An"}},
	}
	for name, regs := range bad {
		t.Run(name, func(t *testing.T) {
			a := base
			a.Certificates = regs
			_, err := s.UpsertAgency(ctx, &a, T0.Add(time.Hour*10))
			wantErr(t, err, store.ErrInvalid)
		})
	}
}
