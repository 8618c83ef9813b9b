package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"lienthong/certs"
	"lienthong/shared/vnsearch"

	bolt "go.etcd.io/bbolt"
)

// Well-known setting and cursor names.
const (
	SettingHubAddress = "hub_address" // host:port, or several hub nodes' separated by commas
	// SettingAttachmentTypes lists the attachment types the clerk takes,
	// by name separated by commas ("pdf,docx"); absent means PDF only.
	SettingAttachmentTypes = "attachment_types"
	CursorInbox            = "inbox"
	CursorStatus           = "status"
	cursorPrefix           = "cursor/"
	identityKey            = "identity/"
)

// Setting returns a setting's value, or ErrNotFound.
func (s *Store) Setting(name string) (string, error) {
	v, err := s.readSealed("read setting", bucketSettings, []byte(name))
	return string(v), err
}

// SetSetting stores a setting.
func (s *Store) SetSetting(name, value string) error {
	if name == "" || strings.HasPrefix(name, cursorPrefix) || strings.HasPrefix(name, identityKey) {
		return fmt.Errorf("setting name %q reserved", name)
	}
	return s.update("write setting", func(tx *bolt.Tx) error {
		return s.putSealed(tx, bucketSettings, []byte(name), []byte(value))
	})
}

// Cursor returns a sync cursor ("" before the first sync).
func (s *Store) Cursor(name string) (string, error) {
	v, err := s.readSealed("read cursor", bucketSettings, []byte(cursorPrefix+name))
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return string(v), err
}

// SetCursor stores a sync cursor. Prefer the Cursor fields of
// NewDocument and StatusChange, which move the cursor in the same
// transaction as what it covers.
func (s *Store) SetCursor(name, value string) error {
	return s.update("write cursor", func(tx *bolt.Tx) error {
		return s.putSealed(tx, bucketSettings, []byte(cursorPrefix+name), []byte(value))
	})
}

func (s *Store) readSealed(what string, bucket, key []byte) ([]byte, error) {
	var out []byte
	err := s.view(what, func(tx *bolt.Tx) (err error) {
		out, err = s.getSealed(tx, bucket, key)
		return err
	})
	return out, err
}

// SetIdentity stores the clerk's key and certificate chain, encrypted with
// the data key.
func (s *Store) SetIdentity(kp *certs.KeyPair) error {
	if kp == nil || kp.Leaf == nil || kp.Key == nil {
		return errors.New("store identity: key pair incomplete")
	}
	if !certs.SameKey(kp.Key, kp.Leaf.PublicKey) {
		return errors.New("store identity: key does not match the certificate")
	}
	keyPEM, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		return fmt.Errorf("store identity: %w", err)
	}
	chain := certs.EncodeCertificatesPEM(kp.Certificates()...)
	return s.update("store identity", func(tx *bolt.Tx) error {
		if err := s.putSealed(tx, bucketSettings, []byte(identityKey+"key"), keyPEM); err != nil {
			return err
		}
		return s.putSealed(tx, bucketSettings, []byte(identityKey+"chain"), chain)
	})
}

// Identity returns the clerk's key pair, or ErrNotFound before SetIdentity.
func (s *Store) Identity() (*certs.KeyPair, error) {
	var keyPEM, chain []byte
	err := s.view("read identity", func(tx *bolt.Tx) (err error) {
		if keyPEM, err = s.getSealed(tx, bucketSettings, []byte(identityKey+"key")); err != nil {
			return err
		}
		chain, err = s.getSealed(tx, bucketSettings, []byte(identityKey+"chain"))
		return err
	})
	if err != nil {
		return nil, err
	}
	key, err := certs.ParseKeyPEM(keyPEM, nil)
	if err != nil {
		return nil, fmt.Errorf("read identity key: %w", err)
	}
	cs, err := certs.ParseCertificatesPEM(chain)
	if err != nil || len(cs) == 0 {
		return nil, fmt.Errorf("%w: identity certificates", ErrCorrupt)
	}
	return &certs.KeyPair{Leaf: cs[0], Chain: cs[1:], Key: key}, nil
}

// Agency is an entry of the cached national agency directory.
type Agency struct {
	Code   certs.AgencyCode `json:"code"`
	Name   string           `json:"name"`
	Parent certs.AgencyCode `json:"parent,omitempty"`
	Level  int              `json:"level"`
	Active bool             `json:"active"`
	// SupersededBy is the code that succeeds this one when a
	// reorganisation closed it (the hub's directory says so).
	SupersededBy certs.AgencyCode `json:"superseded_by,omitempty"`
	// ClosedOn is the day (yyyy-mm-dd) the code closed, when the hub's
	// directory says.
	ClosedOn string `json:"closed_on,omitempty"`
	folded   string
}

type agencyRecord struct {
	Agency
	Folded string `json:"folded"`
}

func decodeAgency(k, v []byte) (Agency, error) {
	var r agencyRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return Agency{}, fmt.Errorf("%w: directory entry: %w", ErrCorrupt, err)
	}
	if string(r.Code) != string(k) {
		return Agency{}, fmt.Errorf("%w: directory key", ErrCorrupt)
	}
	r.Agency.folded = r.Folded
	return r.Agency, nil
}

// ReplaceDirectory replaces the cached directory with agencies, in one
// transaction. The directory is public data and is stored in the clear.
func (s *Store) ReplaceDirectory(agencies []Agency) error {
	return s.update("replace directory", func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bucketDir); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bucketDir)
		if err != nil {
			return err
		}
		sorted := append([]Agency(nil), agencies...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Code < sorted[j].Code })
		b.FillPercent = 0.9
		for _, a := range sorted {
			if _, err := certs.ParseAgencyCode(string(a.Code)); err != nil {
				return fmt.Errorf("directory entry: %w", err)
			}
			v, err := json.Marshal(agencyRecord{Agency: a, Folded: vnsearch.Fold(a.Name)})
			if err != nil {
				return err
			}
			if err := b.Put([]byte(a.Code), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Agency returns a directory entry by code.
func (s *Store) Agency(code certs.AgencyCode) (Agency, error) {
	var a Agency
	err := s.view("read directory", func(tx *bolt.Tx) (err error) {
		v := tx.Bucket(bucketDir).Get([]byte(code))
		if v == nil {
			return fmt.Errorf("agency %s: %w", code, ErrNotFound)
		}
		a, err = decodeAgency([]byte(code), v)
		return err
	})
	return a, err
}

// SearchAgencies returns up to limit agencies whose name matches query
// with vnsearch (without diacritics, any word order, word prefixes),
// active ones only unless inactive is set, ordered by code. An empty
// query lists the directory.
func (s *Store) SearchAgencies(query string, inactive bool, limit int) ([]Agency, error) {
	q := vnsearch.NewQuery(query)
	var out []Agency
	err := s.view("search directory", func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDir).Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			// Check the folded name before decoding the entry.
			if i := bytes.Index(v, []byte(`"folded":"`)); i >= 0 && !q.Empty() {
				rest := v[i+10:]
				if j := bytes.IndexByte(rest, '"'); j >= 0 && bytes.IndexByte(rest[:j], '\\') < 0 && !q.MatchFolded(string(rest[:j])) {
					continue
				}
			}
			a, err := decodeAgency(k, v)
			if err != nil {
				return err
			}
			if (!a.Active && !inactive) || !q.MatchFolded(a.folded) {
				continue
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// Children returns the agencies whose parent is code, ordered by code.
func (s *Store) Children(code certs.AgencyCode) ([]Agency, error) {
	var out []Agency
	err := s.view("read directory", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDir).ForEach(func(k, v []byte) error {
			if !bytes.Contains(v, []byte(`"parent":"`+string(code)+`"`)) {
				return nil
			}
			a, err := decodeAgency(k, v)
			if err != nil {
				return err
			}
			if a.Parent == code {
				out = append(out, a)
			}
			return nil
		})
	})
	return out, err
}
