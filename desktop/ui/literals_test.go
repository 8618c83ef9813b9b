package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// textSinks are the functions and methods that put text on screen: a
// string literal with a letter in their arguments is text that bypasses
// desktop/i18n.
var textSinks = map[string]bool{
	"NewLabel": true, "NewLabelWithStyle": true, "NewButton": true, "NewButtonWithIcon": true, "NewCheck": true,
	"NewFormItem": true, "NewTabItem": true, "NewTabItemWithIcon": true, "NewNotification": true, "NewSelect": true,
	"NewRadioGroup": true, "NewRichTextWithText": true, "NewRichTextFromMarkdown": true, "NewHyperlink": true, "NewCard": true,
	"NewInformation": true, "NewConfirm": true, "NewError": true, "ShowInformation": true, "ShowConfirm": true, "NewCustom": true,
	"SetText": true, "SetPlaceHolder": true, "SetTitle": true, "SetSubTitle": true, "SetConfirmText": true, "SetDismissText": true,
	"SetFileName": true, "Begin": true, "SetOnline": true, "SetSyncFailed": true, "SetSyncResult": true,
}

// notText are the functions whose string arguments are not screen text,
// though their result may be: the operation named in the log line that
// goes with a message (message, explain, showError) and file extensions
// (fileRow).
var notText = map[string]bool{"message": true, "explain": true, "showError": true, "fileRow": true}

// textFields are the widget fields that hold text on screen.
var textFields = map[string]bool{"Text": true, "PlaceHolder": true, "Title": true, "Subtitle": true}

// screenLiterals returns the positions of string literals with a letter
// that reach the screen in src: arguments of a text sink (however nested,
// but not inside a function literal: a callback's log message is not on
// screen) and values assigned to a text field.
func screenLiterals(fset *token.FileSet, f *ast.File) []string {
	var found []string
	check := func(e ast.Expr) {
		ast.Inspect(e, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && notText[sel.Sel.Name] {
					return false
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err == nil && strings.IndexFunc(s, unicode.IsLetter) >= 0 {
					found = append(found, fset.Position(n.Pos()).String()+" "+n.Value)
				}
			}
			return true
		})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			if textSinks[name] {
				for _, a := range n.Args {
					check(a)
				}
			}
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if sel, ok := l.(*ast.SelectorExpr); ok && textFields[sel.Sel.Name] && i < len(n.Rhs) {
					check(n.Rhs[i])
				}
			}
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && textFields[k.Name] {
				check(n.Value)
			}
		}
		return true
	})
	return found
}

// TestNoScreenTextOutsideI18n fails when text is put on screen from a
// string literal in this package instead of the catalog of desktop/i18n.
// It sees literals written at the call (NewLabel("Xin chào"),
// SetText("Lỗi: " + x), l.Text = "…"); text built elsewhere and passed in
// a variable escapes it, as it escapes any check short of reading the
// screen.
func TestNoScreenTextOutsideI18n(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, lit := range screenLiterals(fset, f) {
			t.Errorf("text on screen outside desktop/i18n: %s", lit)
		}
	}
}

// TestScreenLiteralsFinds keeps the check able to fail.
func TestScreenLiteralsFinds(t *testing.T) {
	src := `package ui
func f() {
	widget.NewLabel("Xin chào")
	l.SetText(c.T(i18n.OK) + " (đã lưu)")
	l.Text = "Lỗi"
	_ = widget.Label{Text: "Đóng"}
	widget.NewButton(c.T(i18n.OK), func() { log.Warn("not on screen") })
	l.SetText(strings.Join(lines, "\n"))
	e.SetPlaceHolder(c.T(i18n.ExampleHub))
	l.SetText(c.T(i18n.VerFailed, a.message("verify", err)))
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := screenLiterals(fset, f)
	want := []string{`"Xin chào"`, `" (đã lưu)"`, `"Lỗi"`, `"Đóng"`}
	if len(got) != len(want) {
		t.Fatalf("found %q, want %q", got, want)
	}
	for i, w := range want {
		if !strings.HasSuffix(got[i], w) {
			t.Errorf("finding %d is %q, want %s", i, got[i], w)
		}
	}
}
