package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lienthong/shared/vnsearch"

	bolt "go.etcd.io/bbolt"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string) // runs with the store created and closed
		pass    []byte
		wantErr error
	}{
		{"right passphrase", nil, pass, nil},
		{"wrong passphrase", nil, []byte("mat khau"), ErrWrongPassphrase},
		{"empty passphrase", nil, nil, ErrWrongPassphrase},
		{"newer schema", func(t *testing.T, path string) {
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion+1))
			})
		}, pass, ErrNewerSchema},
		{"corrupt key ring", func(t *testing.T, path string) {
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keyKeyring, []byte("LTK1 short"))
			})
		}, pass, ErrCorrupt},
		{"missing bucket", func(t *testing.T, path string) {
			rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketOutbox) })
		}, pass, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "clerk.db")
			s, err := OpenOptions(path, pass, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetSetting(SettingHubAddress, "hub.example.vn:4433"); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if tt.prepare != nil {
				tt.prepare(t, path)
			}
			s, err = OpenOptions(path, tt.pass, testOptions)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("open: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer s.Close()
			if v, err := s.Setting(SettingHubAddress); err != nil || v != "hub.example.vn:4433" {
				t.Errorf("setting = %q, %v", v, err)
			}
		})
	}
}

func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestOpenLocked(t *testing.T) {
	s, path := openTest(t)
	_, err := OpenOptions(path, pass, Options{KDF: testOptions.KDF, LockTimeout: 20e6})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	s.Close()
	s2, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s2.Close()
	if _, err := s.Setting("x"); !errors.Is(err, ErrClosed) {
		t.Errorf("use after close: %v, want ErrClosed", err)
	}
}

func TestChangePassphrase(t *testing.T) {
	s, path := openTest(t)
	nd := newDoc(t, s, meta(self, agencies[0], 1, day(2025, 3, 5), "Báo cáo tình hình"), []byte("%PDF-1.7 scan"))
	if err := s.SaveOutgoing(nd); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangePassphrase([]byte("sai"), []byte("mới")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("change with wrong old passphrase: %v", err)
	}
	if err := s.ChangePassphrase(pass, []byte("mật khẩu mới")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenOptions(path, pass, testOptions); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase: %v, want ErrWrongPassphrase", err)
	}
	s, err := OpenOptions(path, []byte("mật khẩu mới"), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Get(nd.Payload.MessageID)
	if err != nil || d.Payload.Metadata.Subject != "Báo cáo tình hình" {
		t.Fatalf("get after change: %+v, %v", d, err)
	}
}

// TestMigrateV0 builds a version 0 file by hand (the prototype layout:
// settings in the clear) and opens it.
func TestMigrateV0(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v0.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket(bucketMeta)
		if err := m.Put(keySchema, binary.BigEndian.AppendUint32(nil, 0)); err != nil {
			return err
		}
		st, _ := tx.CreateBucket(bucketSettings)
		return st.Put([]byte(SettingHubAddress), []byte("hub-v0.quangninh.gov.vn:4433"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Setting(SettingHubAddress); err != nil || v != "hub-v0.quangninh.gov.vn:4433" {
		t.Errorf("migrated setting = %q, %v", v, err)
	}
	var version uint32
	s.db.View(func(tx *bolt.Tx) error {
		version = binary.BigEndian.Uint32(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	})
	if version != SchemaVersion {
		t.Errorf("schema after migration = %d", version)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("hub-v0.quangninh")) {
		t.Error("migrated setting still in the clear in the file")
	}
	// A second open finds nothing to migrate.
	s, err = OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestEncryptedAtRest(t *testing.T) {
	s, path := openTest(t)
	subject := "Về việc tuyệt mật kế hoạch XYZZY phòng chống lụt bão"
	scan := bytes.Repeat([]byte("SCANNEDPAGE-"), 50000) // 600 kB, several chunks
	nd := newDoc(t, s, meta(self, agencies[0], 42, day(2025, 3, 5), subject), scan)
	if err := s.SaveOutgoing(nd); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting("note", "ghi chú SECRETNOTE"); err != nil {
		t.Fatal(err)
	}
	kp := testIdentity(t)
	if err := s.SetIdentity(kp); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{subject, "XYZZY", vnsearch.Fold(subject), "xyzzy", "SCANNEDPAGE", "SECRETNOTE",
		"packet of", "PRIVATE KEY", "Nguyễn Văn Hùng", "nguyen van hung", "Văn phòng Chính phủ", "UBND-VP", "42/UBND"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("file holds %q in the clear", secret)
		}
	}
}

func TestRecordsCannotBeSwapped(t *testing.T) {
	s, path := openTest(t)
	a := newDoc(t, s, meta(self, agencies[0], 1, day(2025, 3, 5), "Văn bản A"))
	b := newDoc(t, s, meta(self, agencies[1], 2, day(2025, 3, 5), "Văn bản B"))
	for _, nd := range []NewDocument{a, b} {
		if err := s.SaveOutgoing(nd); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		docs := tx.Bucket(bucketDocs)
		va := append([]byte(nil), docs.Get(u64(1))...)
		return docs.Put(u64(2), va)
	})
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Get(a.Payload.MessageID); err != nil {
		t.Errorf("untouched record: %v", err)
	}
	if _, err := s.Get(b.Payload.MessageID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("swapped record: %v, want ErrCorrupt", err)
	}
}
