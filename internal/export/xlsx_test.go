package export

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestXLSXReadBack: the hand-written workbook opens in an independent
// reader (excelize) with every cell as written — XML's special characters,
// characters XML cannot hold replaced, a cell longer than Excel allows cut
// at its limit — the header row bold and frozen, and columns past Z named
// right.
func TestXLSXReadBack(t *testing.T) {
	var b bytes.Buffer
	header := make([]string, 30)
	for i := range header {
		header[i] = "Kolom " + columnName(i+1)
	}
	w, err := NewXLSX(&b, header)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", xlsxCellMax+10)
	rows := [][]string{{"<b>&amp; \"quotes\" 'single'", "=HYPERLINK(\"x\")", "line\nbreak", "ctrl\x01char", long}, {"Zoë", ""}}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatalf("excelize cannot open it: %v", err)
	}
	got, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(got[0]) != 30 || got[0][29] != "Kolom AD" {
		t.Fatalf("header: %d rows, %v", len(got), got[0])
	}
	want := []string{"<b>&amp; \"quotes\" 'single'", "=HYPERLINK(\"x\")", "line\nbreak", "ctrl\ufffdchar", strings.Repeat("é", xlsxCellMax)}
	for i, w := range want {
		if got[1][i] != w {
			t.Errorf("cell %d: %.40q, want %.40q", i, got[1][i], w)
		}
	}
	if got[2][0] != "Zoë" {
		t.Errorf("row 3: %q", got[2])
	}
	if f, _ := f.GetCellFormula("Sheet1", "B2"); f != "" {
		t.Errorf("a cell became a formula: %q", f)
	}
	style, _ := f.GetCellStyle("Sheet1", "A1")
	st, err := f.GetStyle(style)
	if err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header not bold: %+v %v", st, err)
	}
	panes, err := f.GetPanes("Sheet1")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header not frozen: %+v %v", panes, err)
	}
}

func TestColumnName(t *testing.T) {
	for n, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 53: "BA", 702: "ZZ", 703: "AAA"} {
		if got := columnName(n); got != want {
			t.Errorf("columnName(%d) = %q, want %q", n, got, want)
		}
	}
}
