package magda

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"
)

// The example of the exclusive canonicalisation recommendation
// (xml-exc-c14n, section 2.2): the apex element gets the declarations it
// visibly uses, xml:lang stays where it is written, the unused n0 is left out.
func TestExcC14NSpecExample(t *testing.T) {
	doc := `<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>`
	root, err := parseXML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	elem2 := root.elem("http://example.net", "elem2")
	got := string(canonicalise(elem2))
	want := `<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// The start-and-end-tags example of Canonical XML 1.0 (section 3.3), without
// its DTD (defaulted attributes are outside our subset), canonicalised the
// exclusive way: attributes sorted by namespace URI then local name,
// namespace declarations first, only visibly used ones, xmlns="" where the
// default namespace is undone.
func TestExcC14NStartAndEndTags(t *testing.T) {
	doc := `<doc>
   <e1   />
   <e2   ></e2>
   <e3   name = "elem3"   id="elem3"   />
   <e4   name="elem4"   id="elem4"   ></e4>
   <e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm"
      xmlns:b="http://www.ietf.org"
      xmlns:a="http://www.w3.org"
      xmlns="http://example.org"/>
   <e6 xmlns="" xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="" xmlns:a="http://www.w3.org">
            <e9 xmlns="" xmlns:a="http://www.ietf.org"/>
         </e8>
      </e7>
   </e6>
</doc>`
	want := `<doc>
   <e1></e1>
   <e2></e2>
   <e3 id="elem3" name="elem3"></e3>
   <e4 id="elem4" name="elem4"></e4>
   <e5 xmlns="http://example.org" xmlns:a="http://www.w3.org" xmlns:b="http://www.ietf.org" attr="I'm" attr2="all" b:attr="sorted" a:attr="out"></e5>
   <e6>
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="">
            <e9></e9>
         </e8>
      </e7>
   </e6>
</doc>`
	root, err := parseXML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(canonicalise(root)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Character escaping (Canonical XML 1.0 section 3.4, the parts without a DTD).
func TestExcC14NEscaping(t *testing.T) {
	doc := "<doc attr=\"&lt;&quot;&#9;&#10;&#13;&amp;'\">&lt;&gt;&amp;\"'<![CDATA[<x>]]>&#13;</doc>"
	root, err := parseXML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := "<doc attr=\"&lt;&quot;&#x9;&#xA;&#xD;&amp;'\">&lt;&gt;&amp;\"'&lt;x&gt;&#xD;</doc>"
	if got := string(canonicalise(root)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestParseXMLRefusesDTDAndBadNesting(t *testing.T) {
	for _, doc := range []string{
		`<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`,
		`<a><b></a></b>`,
		`<a></a><b></b>`,
		`<p:a></p:a>`,
		`<?evil x?><a/>`,
	} {
		if _, err := parseXML([]byte(doc)); err == nil {
			t.Errorf("accepted %q", doc)
		}
	}
}

// RSA-SHA256 (PKCS#1 v1.5) is deterministic, so the signature of a fixed
// canonical SignedInfo under a fixed key is a vector: this one was made with
// OpenSSL (openssl dgst -sha256 -sign), independently of our code. The input
// is written with an empty-element tag, so canonicalisation must expand it.
func TestSignedInfoSignatureVector(t *testing.T) {
	block, _ := pem.Decode([]byte(testKeyPEM))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := k.(*rsa.PrivateKey)
	si := `<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:SignedInfo>`
	root, err := parseXML([]byte(si))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(canonicalise(root))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	const want = "C1oeTZ/kmeCNgvKJ2VlGa/qeOmSKOTJKUV2ZWpPr3ZBTAM/yb4zhEQ8kBw5ciJ0iE9Q+gePZUT5Rf9a0WFsPobTRz4yAiXShkRbXLrYM6cgdvhIMUVinaRopOgcmBmEF170NaTZyTuU2NhZW04BBKFp8vexZMOn2nKDZY+P1deI="
	if got := base64.StdEncoding.EncodeToString(sig); got != want {
		t.Fatalf("signature %s, want the OpenSSL vector", got)
	}
}

// testKeyPEM is a throwaway 1024-bit test key, used only for the vector above.
const testKeyPEM = `-----BEGIN PRIVATE KEY-----
MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAM/r8/5nBgcWub46
7pp8QVwK4s+d9lYW7QGj/qepSbUj1iRJRbzELSEmCyCUb0Jsk/BTCmLEaaoaUKN0
VMPPBNrALOnnmc1+fh3FAAIrtYYlCDZrklyD8DJQKYJMYUGmjxMjyCaiEeK9b4yd
fzxOTG1yyZ77JNncMIbB82TR3ilLAgMBAAECgYEAjcoGdfKjtanVuNhPZqJdn/r8
eUDrgAHaVkgTnRpg3Vo26j/dgsD1Vamv5OPUi6Onrzex2XC/7fRMEWt/cph2Ycuv
Sy+MFUUGiC5S3/+Bh56qYqyj8KofN0rSXOBTV2OtRMxXwA30/iTKO+UnA5IyfFhE
66Qfb28CL8gBpd+0IcECQQDx4duqGuk6Zv4BbC2vx6kyjwQHCy2sS2z9u00N75rH
RBz+e4wwydE+9JxKt2GEL7NN/q/jrd0APS1hjWVxq+zZAkEA3A6qQdpsA/WwIUWG
bk95jVmAWJ8ecrz7J4dvrZFXXzV3i6spD/GYsJZiRSdw4a1hng+IvHBv9PwKM6Ry
KLbAwwJAJlnQMVVY+1iPF3ymdcNrcUe5tMAx+qpu2oATBI2j9co36qV+IdIt6hRw
n2wZ+xJxFIG4M5pCeyI4CsqXdgFzaQJBAKtgZGn60ApZabzPp3z7Of/CBzl9Wjoj
QTmsuWWj/jZwrlRAjS8UiURlKc0PhVLMM2zkTinrKtXQ/6TuWdWpVf8CQH++iERS
ThjOMGiwn+fAVfrwlrT8vqTdK5YiDtTt8yYDjzGGwzl+Qd957BXvYMLd6/cLOPMp
z8Z5DcEXtbBaJXA=
-----END PRIVATE KEY-----
`
