package storetest

import (
	"bytes"
	"testing"
	"time"

	"lienthong/hub/store"
)

func testDirectory(t *testing.T, s store.Store) {
	v1 := &store.Agency{Code: "001.00.00.H49", Name: "Sở Thông tin và Truyền thông", Parent: Quangninh, Level: 2, Active: true, CertPEM: []byte("-----BEGIN CERTIFICATE-----\n...")}
	top := &store.Agency{Code: Quangninh, Name: "UBND tỉnh Quảng Ninh", Level: 1, Active: true}
	steps := []struct {
		name        string
		agency      *store.Agency
		at          time.Time
		wantChanged bool
	}{
		{"Create", v1, T0, true},
		{"Parent", top, T0, true},
		{"Identical", v1, T0.Add(time.Hour), false},
		{"Rename", &store.Agency{Code: v1.Code, Name: "Sở Khoa học và Công nghệ", Parent: Quangninh, Level: 2, Active: true}, T0.Add(24 * time.Hour), true},
		{"Supersede", &store.Agency{Code: v1.Code, Name: "Sở Khoa học và Công nghệ", Parent: Quangninh, Level: 2, Active: false, SupersededBy: "002.00.00.H49"}, T0.Add(48 * time.Hour), true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			changed, err := s.UpsertAgency(ctx, st.agency, st.at)
			if err != nil || changed != st.wantChanged {
				t.Fatalf("upsert: changed=%v err=%v, want changed=%v", changed, err, st.wantChanged)
			}
		})
	}
	cur, err := s.Agency(ctx, v1.Code)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Active || cur.SupersededBy != "002.00.00.H49" || cur.Name != "Sở Khoa học và Công nghệ" {
		t.Fatalf("current = %+v", cur)
	}
	hist, err := s.AgencyHistory(ctx, v1.Code)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 {
		t.Fatalf("history has %d entries, want 3", len(hist))
	}
	if hist[0].Name != v1.Name || !bytes.Equal(hist[0].CertPEM, v1.CertPEM) || !hist[0].At.Equal(T0) || hist[0].Seq != 1 ||
		!hist[2].At.Equal(T0.Add(48*time.Hour)) || hist[2].Seq != 3 {
		t.Fatalf("history = %+v", hist)
	}
	all, err := s.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Code != Quangninh || all[1].Code != v1.Code {
		t.Fatalf("agencies = %+v", all)
	}
	_, err = s.Agency(ctx, Caobang)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AgencyHistory(ctx, Caobang)
	wantErr(t, err, store.ErrNotFound)
	bad := []struct {
		name string
		a    store.Agency
	}{
		{"BadCode", store.Agency{Code: "H49", Name: "x", Level: 1}},
		{"NoName", store.Agency{Code: Caobang, Level: 1}},
		{"BadLevel", store.Agency{Code: Caobang, Name: "x", Level: 5}},
		{"BadParent", store.Agency{Code: Caobang, Name: "x", Level: 2, Parent: "?"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.UpsertAgency(ctx, &tc.a, T0)
			wantErr(t, err, store.ErrInvalid)
		})
	}
}
