package ui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs/token"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/shared/pades"
	"lienthong/shared/stamp"
)

// personDir is the folder, in the clerk's home, of the main PDFs a leader
// signed at the desk, kept until they are sent (each in a folder of its
// own, under its own name: the name the file is sent under).
const personDir = "ky-so-lanh-dao"

// SignHereDialog is "Lãnh đạo ký tại đây": the competent person signs
// the main PDF at the clerk's desk with a key on a token (TokenKeys), the
// PIN asked in the PIN dialog, optionally with the signature image at the
// bottom right of a page; the signed copy (the original is left as it
// is) becomes the main file, and the clerk then numbers and seals it.
type SignHereDialog struct {
	tab  *ComposeTab
	path string // the main PDF to sign
	Keys *TokenKeys
	// ImageLabel names the signature image chosen; SetImage chooses one.
	ImageLabel *widget.Label
	image      []byte
	Page       *widget.Entry
	Sign       *widget.Button
	cancel     *widget.Button
	Message    *widget.Label
	dlg        *dialog.CustomDialog
}

func (t *ComposeTab) onSignHere() {
	c := t.app.cat
	d, _ := t.Draft()
	path := mainFile(d)
	if path == "" || !strings.EqualFold(filepath.Ext(path), ".pdf") {
		t.Problems.Importance = widget.DangerImportance
		t.Problems.SetText(c.T(i18n.SignHereNeedFile))
		return
	}
	module := ""
	if t.app.seal != nil {
		if u, err := token.ParseURI(t.app.seal.uri); err == nil {
			module = u.Module
		}
	}
	s := &SignHereDialog{tab: t, path: path, Keys: newTokenKeys(t.app, module), ImageLabel: widget.NewLabel(c.T(i18n.SignHereNoImage)),
		Page: widget.NewEntry(), Message: widget.NewLabel("")}
	s.Page.SetText("1")
	s.Message.Wrapping = fyne.TextWrapWord
	s.ImageLabel.Wrapping = fyne.TextWrapWord
	s.Sign = widget.NewButton(c.T(i18n.SignHereSign), s.onSign)
	s.Sign.Importance = widget.HighImportance
	chooseImage := widget.NewButton(c.T(i18n.SignHereImage), s.onChooseImage)
	file := widget.NewLabel(c.T(i18n.SignHereFile, filepath.Base(path)))
	file.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(file,
		newBoldLabel(c.T(i18n.SignHereKey)), s.Keys.Object(),
		container.NewBorder(nil, nil, chooseImage, nil, s.ImageLabel),
		widget.NewForm(widget.NewFormItem(c.T(i18n.SignHerePage), s.Page)),
		s.Message)
	s.dlg = dialog.NewCustom(c.T(i18n.SignHereTitle), c.T(i18n.Cancel), container.NewVScroll(content), t.app.win)
	s.cancel = widget.NewButton(c.T(i18n.Cancel), s.dlg.Hide)
	s.dlg.SetButtons([]fyne.CanvasObject{s.cancel, s.Sign})
	s.dlg.SetOnClosed(func() {
		if t.Signing == s {
			t.Signing = nil
		}
	})
	s.dlg.Resize(fyne.NewSize(760, 560))
	t.Signing = s
	s.dlg.Show()
}

func (s *SignHereDialog) onChooseImage() {
	a := s.tab.app
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		var data []byte
		a.run(i18n.WorkOpen, nil, func(context.Context) (err error) {
			defer r.Close()
			data, err = io.ReadAll(io.LimitReader(r, 8<<20))
			return err
		}, func(err error) {
			if err != nil {
				s.Message.SetText(a.message("read signature image", err))
				return
			}
			if err := s.SetImage(r.URI().Name(), data); err != nil {
				s.Message.SetText(a.message("read signature image", err))
			}
		})
	}, a.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png"}))
	d.Show()
}

// SetImage chooses the person's signature image; an image that is not a
// readable PNG is refused.
func (s *SignHereDialog) SetImage(name string, png []byte) error {
	if _, err := stamp.DecodePNG(png); err != nil {
		return err
	}
	s.image = png
	s.ImageLabel.SetText(s.tab.app.cat.T(i18n.SignHereImageChosen, name))
	return nil
}

// onSign opens the chosen key (the PIN dialog shows), has the person sign
// a copy of the main PDF, closes the key (the leader takes the token
// away) and puts the signed copy in the main file's place; all off Fyne's
// goroutine.
func (s *SignHereDialog) onSign() {
	t, a := s.tab, s.tab.app
	c := a.cat
	key, ok := s.Keys.Chosen()
	if !ok {
		s.Message.SetText(c.T(i18n.SignHereNeedKey))
		return
	}
	page, err := strconv.Atoi(strings.TrimSpace(s.Page.Text))
	if err != nil || page < 1 {
		s.Message.SetText(c.T(i18n.SignHereBadPage))
		return
	}
	in, img, home, cl := s.path, s.image, a.opts.Home, a.clerk
	var out string
	s.Message.SetText(c.T(i18n.WorkPersonSign))
	// Nothing that would change the draft or hide the dialog while the
	// person signs: the signed copy replaces the main file it was made from.
	a.run(i18n.WorkPersonSign, []*widget.Button{s.Sign, s.cancel, t.SignHere, t.Send}, func(ctx context.Context) error {
		st := clerk.PersonStamp{}
		if img != nil {
			r, err := signatureRect(in, page)
			if err != nil {
				return err
			}
			st = clerk.PersonStamp{ImagePNG: img, Page: page, Rect: r}
		}
		kp, err := a.openToken(ctx, key.URI)
		if err != nil {
			return err
		}
		defer kp.Key.(io.Closer).Close()
		dir, err := newPersonDir(home)
		if err != nil {
			return err
		}
		out = filepath.Join(dir, filepath.Base(in))
		if err := cl.SignAsPerson(ctx, in, out, kp, st); err != nil {
			os.RemoveAll(dir)
			return err
		}
		return nil
	}, func(err error) {
		if err != nil {
			s.Message.SetText(a.message("sign as person", err))
			t.onChanged()
			return
		}
		s.dlg.Hide()
		t.replaceMain(in, out)
		t.onChanged()
		t.Problems.Importance = widget.SuccessImportance
		t.Problems.SetText(c.T(i18n.SignHereDone, key.Certificate.Subject.CommonName))
	})
}

// newPersonDir makes the folder of one signed copy: the first free number
// under personDir in home (short, and the same from one run to the next).
func newPersonDir(home string) (string, error) {
	base := filepath.Join(home, personDir)
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", err
	}
	for n := 1; ; n++ {
		dir := filepath.Join(base, strconv.Itoa(n))
		err := os.Mkdir(dir, 0o700)
		if err == nil || !os.IsExist(err) {
			return dir, err
		}
	}
}

// signatureRect is where the person's signature image goes on page of
// the PDF at path: 160 × 80 points at the bottom right, above the margin,
// where the signing block of a one-page document usually ends.
func signatureRect(path string, page int) ([4]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return [4]float64{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return [4]float64{}, err
	}
	box, err := pades.PageBox(f, fi.Size(), page)
	if err != nil {
		return [4]float64{}, err
	}
	x2, y1 := box[2]-70, box[1]+110
	return [4]float64{x2 - 160, y1, x2, y1 + 80}, nil
}

// replaceMain puts the leader's signed copy out in the place of the main
// file in, keeping the other files.
func (t *ComposeTab) replaceMain(in, out string) {
	lines := strings.Split(t.Files.Text, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			if strings.TrimSpace(l) == in {
				lines[i] = out
			}
			break
		}
	}
	t.Files.SetText(strings.Join(lines, "\n"))
}

// removeSigned deletes the folder of a leader's signed copy once the
// document made from it is issued (the issued document keeps its own).
func (t *ComposeTab) removeSigned(files []string) {
	base := filepath.Join(t.app.opts.Home, personDir) + string(filepath.Separator)
	for _, f := range files {
		if dir := filepath.Dir(f); strings.HasPrefix(dir+string(filepath.Separator), base) && dir != filepath.Clean(base) {
			t.app.run("", nil, func(context.Context) error { return os.RemoveAll(dir) }, nil)
		}
	}
}
