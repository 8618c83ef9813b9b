package debtest

import (
	"os"
	"reflect"
	"testing"

	"lienthong/hub/config"
	"lienthong/shared/strictjson"
)

// TestHubJSONIsTheDefaults: the configuration the hub package installs
// names every setting with its default value (so the operator sees them
// all), and only the certificate files, which have no default, differ.
func TestHubJSONIsTheDefaults(t *testing.T) {
	data, err := os.ReadFile("../../packaging/deb/hub.json")
	if err != nil {
		t.Fatal(err)
	}
	var got config.Config // zero: a setting the file leaves out stays zero
	if err := strictjson.Unmarshal(data, &got); err != nil {
		t.Fatalf("hub.json: %v", err)
	}
	want := config.Default()
	want.TLSCert, want.TLSKey = "hub.crt", "hub.key"
	want.ReceiptCert, want.ReceiptKey = "receipt.crt", "receipt.key"
	want.Roots, want.CRLs = "ca.crt", []string{"ca.crl"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hub.json differs from config.Default():\n got %+v\nwant %+v", got, want)
	}
	if err := want.Validate(); err != nil {
		t.Errorf("the packaged configuration does not validate: %v", err)
	}
}
