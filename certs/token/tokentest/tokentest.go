//go:build cgo

package tokentest

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"lienthong/certs"
)

// modulePaths are where Debian and Ubuntu put SoftHSM2's module.
var modulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
}

// Token is an initialised SoftHSM2 token in a temporary directory.
type Token struct {
	Module string // the module's path
	Label  string // the token's label
	PIN    string // the user PIN
}

// New makes a SoftHSM2 configuration in a temporary directory, points
// SOFTHSM2_CONF at it for the rest of the test (so the test must not run
// in parallel) and initialises a token labelled label with the user PIN
// "123456". It fails the test when SoftHSM2 is missing.
func New(t testing.TB, label string) *Token {
	t.Helper()
	tok := &Token{Label: label, PIN: "123456"}
	for _, p := range modulePaths {
		if _, err := os.Stat(p); err == nil {
			tok.Module = p
			break
		}
	}
	if tok.Module == "" {
		t.Fatalf("SoftHSM2 is not installed (no module in %v): run packaging/install-deps.sh", modulePaths)
	}
	if _, err := exec.LookPath("softhsm2-util"); err != nil {
		t.Fatal("softhsm2-util is not installed: run packaging/install-deps.sh")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", filepath.Join(dir, "tokens"))
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	tok.util(t, "--init-token", "--free", "--label", label, "--pin", tok.PIN, "--so-pin", "87654321")
	return tok
}

func (tok *Token) util(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("softhsm2-util", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util %s: %v\n%s", args[0], err, out)
	}
}

// URI names the key labelled object on the token, with the module's path.
func (tok *Token) URI(object string) string {
	u := "pkcs11:token=" + url.PathEscape(tok.Label)
	if object != "" {
		u += ";object=" + url.PathEscape(object)
	}
	return u + "?module-path=" + tok.Module
}

// Import puts kp's private key on the token as object label with CKA_ID
// id, and, when withCert, its certificate (same label and id) and CA
// certificates (no id). Import before opening a key of the token.
func (tok *Token) Import(t testing.TB, kp *certs.KeyPair, label string, id byte, withCert bool) {
	t.Helper()
	pemKey, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(f, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	tok.util(t, "--import", f, "--token", tok.Label, "--label", label, "--id", hex.EncodeToString([]byte{id}), "--pin", tok.PIN)
	if !withCert {
		return
	}
	tok.session(t, func(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle) {
		for i, c := range kp.Certificates() {
			attrs := []*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
				pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
				pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
				pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, c.RawSubject),
				pkcs11.NewAttribute(pkcs11.CKA_VALUE, c.Raw),
			}
			if i == 0 {
				attrs = append(attrs, pkcs11.NewAttribute(pkcs11.CKA_ID, []byte{id}), pkcs11.NewAttribute(pkcs11.CKA_LABEL, label))
			}
			if _, err := ctx.CreateObject(sh, attrs); err != nil {
				t.Fatalf("import certificate: %v", err)
			}
		}
	})
}

// DenySign clears CKA_SIGN on the private key labelled label.
func (tok *Token) DenySign(t testing.TB, label string) {
	t.Helper()
	tok.session(t, func(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle) {
		if err := ctx.FindObjectsInit(sh, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		}); err != nil {
			t.Fatal(err)
		}
		objs, _, err := ctx.FindObjects(sh, 2)
		ctx.FindObjectsFinal(sh)
		if err != nil || len(objs) != 1 {
			t.Fatalf("find key %q: %v (%d found)", label, err, len(objs))
		}
		if err := ctx.SetAttributeValue(sh, objs[0], []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_SIGN, false)}); err != nil {
			t.Fatalf("clear CKA_SIGN: %v", err)
		}
	})
}

// session runs f in a read-write session logged in as the user, with the
// module initialised for f alone.
func (tok *Token) session(t testing.TB, f func(*pkcs11.Ctx, pkcs11.SessionHandle)) {
	t.Helper()
	ctx := pkcs11.New(tok.Module)
	if ctx == nil {
		t.Fatalf("load %s", tok.Module)
	}
	defer ctx.Destroy()
	if err := ctx.Initialize(); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	defer ctx.Finalize()
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		if err != nil || strings.TrimRight(info.Label, " \x00") != tok.Label {
			continue
		}
		sh, err := ctx.OpenSession(s, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			t.Fatal(err)
		}
		defer ctx.CloseSession(sh)
		if err := ctx.Login(sh, pkcs11.CKU_USER, tok.PIN); err != nil {
			t.Fatal(err)
		}
		f(ctx, sh)
		return
	}
	t.Fatalf("token %q not found", tok.Label)
}
