package boltstore

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// writeVersion sets the schema version of the database in dir.
func writeVersion(t *testing.T, dir string, v uint32) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keySchema, binary.BigEndian.AppendUint32(nil, v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readVersion(t *testing.T, dir string) uint32 {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v uint32
	db.View(func(tx *bolt.Tx) error {
		v = binary.BigEndian.Uint32(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	})
	return v
}

func TestSchema(t *testing.T) {
	tests := []struct {
		name      string
		version   uint32
		migration func(tx *bolt.Tx) error
		wantErr   bool
		wantRuns  int
	}{
		{"Current", SchemaVersion, nil, false, 0},
		{"Newer", SchemaVersion + 1, nil, true, 0},
		{"OlderWithoutMigration", SchemaVersion - 1, nil, true, 0},
		{"OlderWithMigration", SchemaVersion - 1, func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("migrated"))
			return err
		}, false, 1},
		{"FailingMigration", SchemaVersion - 1, func(tx *bolt.Tx) error { return errors.New("boom") }, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeVersion(t, dir, tc.version)
			runs := 0
			saved, had := migrations[tc.version]
			t.Cleanup(func() {
				delete(migrations, tc.version)
				if had {
					migrations[tc.version] = saved
				}
			})
			if tc.migration != nil {
				migrations[tc.version] = func(tx *bolt.Tx) error { runs++; return tc.migration(tx) }
			} else {
				delete(migrations, tc.version)
			}
			s, err := Open(dir, Options{})
			if tc.wantErr {
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				if tc.migration == nil && !errors.Is(err, ErrSchema) {
					t.Fatalf("error %v is not ErrSchema", err)
				}
				if runs != tc.wantRuns {
					t.Fatalf("migration ran %d times", runs)
				}
				if got := readVersion(t, dir); got != tc.version {
					t.Fatalf("a refused open changed the version to %d", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			// A second open runs nothing more.
			s, err = Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if runs != tc.wantRuns {
				t.Fatalf("migration ran %d times, want %d", runs, tc.wantRuns)
			}
			if got := readVersion(t, dir); got != SchemaVersion {
				t.Fatalf("version after open = %d", got)
			}
		})
	}
}
