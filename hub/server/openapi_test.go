package server_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/hub/hubtest/apicheck"
	"lienthong/hub/store"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// notExercised are the calls of the API document this package's tests do
// not reach, and why.
var notExercised = map[string]string{
	"GET /v1/openapi.yaml": "served as bytes; hub/apitest's client fetches it",
	"POST /v1/timestamp":   "RFC 3161 bodies, no schema: shared/tsa and desktop/clerk's tests use it",
}

// TestMain adds to the check hubtest makes of every hub's traffic against
// the API's schemas (package apicheck) the check that this package's tests
// reach every call of the document: a full run that leaves one out fails.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	full := flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" &&
		!testing.Short()
	if full && code == 0 {
		unseen, err := apicheck.Unseen(notExercised)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
		for _, op := range unseen {
			fmt.Fprintln(os.Stderr, "API schema: no test of this package reached", op)
			code = 1
		}
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "API schema: %d exchanges checked\n", apicheck.Checked())
	}
	os.Exit(code)
}

// TestRefuseOverHTTP takes a document through the calls the other tests of
// this package leave out, so that the traffic check sees them too: the
// recipient reads the sender's packet byte for byte, refuses the document
// (the refused receipt names it and the reason), and reads the CRLs.
func TestRefuseOverHTTP(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sender, recipient := h.Client(t, quangNinh, true), h.Client(t, ngheAn, true)
	d := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "77", ngheAn)
	d.send(t, ctx, sender)

	packet, err := recipient.Message(ctx, d.id)
	if err != nil || !bytes.Equal(packet, d.packet) {
		t.Fatalf("the recipient's GET of the message: %v, same bytes %v", err, bytes.Equal(packet, d.packet))
	}
	refused, err := recipient.Refuse(ctx, d.id, "Chữ ký số không hợp lệ")
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := receipt.Verify(refused.Receipt, h.Verifier(), certs.DefaultReceiptSigner)
	if err != nil || r.Event != receipt.EventRefused || r.Reason != "Chữ ký số không hợp lệ" || !slices.Equal(r.Recipients, []string{ngheAn}) {
		t.Fatalf("refused receipt: %v %+v", err, r)
	}
	crls, err := recipient.CRLs(ctx)
	if err != nil || len(crls) == 0 {
		t.Fatalf("CRLs: %v, %d lists", err, len(crls))
	}
}

// TestOpenAPIDeliveryStates compares the document's delivery states with
// the store's, which GET /v1/sent writes by name.
func TestOpenAPIDeliveryStates(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string
				}
			}
		}
	}
	if err := yaml.Unmarshal(wire.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Components.Schemas["RecipientState"].Properties["delivery"].Enum
	var want []string
	for s := store.Pending; s <= store.Refused; s++ {
		want = append(want, s.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("RecipientState.delivery is %q in the document, the store's states are %q", got, want)
	}
}
