package clerk_test

import (
	"testing"

	"lienthong/desktop/clerk"
)

// FuzzCheckpointBody feeds the parser of the hub's signed checkpoint (bytes
// from the network, read before an auditor checks the signature) with
// arbitrary input: it must fail cleanly, never panic, and accept only sizes
// that make sense.
func FuzzCheckpointBody(f *testing.F) {
	f.Add([]byte("hubtest/log\n12\nq1m4pCRUM2ftQt7rLmBK1IqWhpyVe0R0UGh3zChTONI=\n\n— hubtest AbCdEf==\n"))
	f.Add([]byte("origin\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"))
	f.Add([]byte(""))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := clerk.CheckpointBody(data)
		if err == nil && (cp.Size < 0 || cp.Origin == "") {
			t.Fatalf("accepted a checkpoint of size %d, origin %q", cp.Size, cp.Origin)
		}
	})
}
