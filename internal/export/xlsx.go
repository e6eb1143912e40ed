package export

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// XLSX, written by hand as the zip of XML parts it is: one sheet, rows of
// inline strings streamed straight into w (in Kluis: the encrypting
// writer). Nothing is buffered beyond a row and nothing touches the disk,
// so memory stays flat and no plaintext is ever written outside the
// encrypted file — which a library's stream writer, spilling rows to a
// temporary file, could not promise.

// xlsxCellMax is the most characters a cell holds in Excel.
const xlsxCellMax = 32767

// xlsxStatic are the workbook's fixed parts: content types, relations,
// the workbook with one sheet, and styles with a bold header.
var xlsxStatic = []struct{ name, body string }{
	{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`</Types>`},
	{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
		`</Relationships>`},
	{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
	{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`</Relationships>`},
	{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`},
}

type xlsxWriter struct {
	z   *zip.Writer
	bw  *bufio.Writer
	row int
}

// NewXLSX writes the workbook's fixed parts, starts the sheet (the header
// row bold and frozen) and writes the header.
func NewXLSX(w io.Writer, header []string) (Writer, error) {
	z := zip.NewWriter(w)
	for _, p := range xlsxStatic {
		f, err := z.Create(p.name)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return nil, err
		}
	}
	sheet, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return nil, err
	}
	x := &xlsxWriter{z: z, bw: bufio.NewWriterSize(sheet, 32<<10)}
	x.bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>` +
		`<sheetFormatPr defaultRowHeight="15"/>`)
	if len(header) > 0 {
		x.bw.WriteString(`<cols><col min="1" max="` + strconv.Itoa(len(header)) + `" width="24" customWidth="1"/></cols>`)
	}
	x.bw.WriteString(`<sheetData>`)
	return x, x.writeRow(header, true)
}

func (x *xlsxWriter) Write(cells []string) error { return x.writeRow(cells, false) }

func (x *xlsxWriter) writeRow(cells []string, bold bool) error {
	x.row++
	r := strconv.Itoa(x.row)
	x.bw.WriteString(`<row r="` + r + `">`)
	for i, c := range cells {
		x.bw.WriteString(`<c r="` + columnName(i+1) + r + `" t="inlineStr"`)
		if bold {
			x.bw.WriteString(` s="1"`)
		}
		x.bw.WriteString(`><is><t xml:space="preserve">`)
		if utf8.RuneCountInString(c) > xlsxCellMax {
			c = string([]rune(c)[:xlsxCellMax])
		}
		// EscapeText also replaces characters XML cannot hold.
		if err := xml.EscapeText(x.bw, []byte(c)); err != nil {
			return err
		}
		x.bw.WriteString(`</t></is></c>`)
	}
	_, err := x.bw.WriteString(`</row>`)
	return err
}

func (x *xlsxWriter) Close() error {
	x.bw.WriteString(`</sheetData></worksheet>`)
	if err := x.bw.Flush(); err != nil {
		return err
	}
	return x.z.Close()
}

// columnName is a spreadsheet column's letters: 1 A, 26 Z, 27 AA.
func columnName(n int) string {
	var b strings.Builder
	var out []byte
	for n > 0 {
		n--
		out = append(out, byte('A'+n%26))
		n /= 26
	}
	for i := len(out) - 1; i >= 0; i-- {
		b.WriteByte(out[i])
	}
	return b.String()
}
