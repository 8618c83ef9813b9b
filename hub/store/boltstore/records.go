package boltstore

import (
	"encoding/json"

	"lienthong/hub/store/internal/record"
)

// The durable records are package record's, shared with pgstore; bbolt
// keeps them as values.

func encode(v any) []byte { return record.Encode(v) }

func decode(b []byte, v any) error { return json.Unmarshal(b, v) }
