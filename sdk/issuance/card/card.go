// Package card draws education identity cards (教育信息身份证) and QR codes as PNG images: the
// printable face of an identity-card credential, with the learner's name in Chinese, portrait,
// learner ID, roles, issuing organisation, validity and a QR code carrying the verification link.
//
// Chinese text needs a font with CJK glyphs. None is downloaded at run time: the renderer loads a
// TrueType or OpenType font or collection (.ttf, .otf, .ttc) from a path — on Debian, the packages
// fonts-wqy-microhei and fonts-noto-cjk install suitable ones, which FindFont looks for.
package card

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // portraits may be JPEG
	"image/png"
	"os"
	"strings"
	"time"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"rsc.io/qr"

	"github.com/eduledger/eduledger"
)

// KnownFonts are where Debian's CJK font packages put fonts FindFont accepts, best first.
var KnownFonts = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
}

// FindFont returns the first of KnownFonts that exists.
func FindFont() (string, bool) {
	for _, p := range KnownFonts {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// ErrNoCJK is returned (wrapped) for a font without Chinese glyphs.
var ErrNoCJK = errors.New("the font has no Chinese glyphs")

// Renderer draws cards with one font. It is safe for concurrent use.
type Renderer struct {
	font *sfnt.Font
	path string
}

// NewRenderer loads the font (or the first font of the collection) at path and checks that it
// has Chinese glyphs.
func NewRenderer(path string) (*Renderer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("card: read font: %w", err)
	}
	f, err := parseFont(b)
	if err != nil {
		// Some fonts (WenQuanYi Micro Hei among them) place tables at offsets that are not
		// multiples of four, which the parser refuses; the same tables, realigned, parse.
		aligned, aerr := realign(b)
		if aerr != nil {
			return nil, fmt.Errorf("card: font %s is not a TrueType or OpenType font: %w", path, err)
		}
		if f, err = parseFont(aligned); err != nil {
			return nil, fmt.Errorf("card: font %s: %w", path, err)
		}
	}
	var buf sfnt.Buffer
	for _, r := range "教育身份证滨江" {
		if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
			return nil, fmt.Errorf("card: font %s: %w", path, ErrNoCJK)
		}
	}
	return &Renderer{font: f, path: path}, nil
}

// parseFont parses a font or the first font of a collection.
func parseFont(b []byte) (*sfnt.Font, error) {
	if coll, err := opentype.ParseCollection(b); err == nil && coll.NumFonts() > 0 {
		return coll.Font(0)
	}
	return opentype.Parse(b)
}

// realign copies the first font of a font file or collection into a single font whose tables
// start at multiples of four bytes, as the OpenType specification requires.
func realign(b []byte) ([]byte, error) {
	u16 := func(o int) int { return int(b[o])<<8 | int(b[o+1]) }
	u32 := func(o int) int { return int(b[o])<<24 | int(b[o+1])<<16 | int(b[o+2])<<8 | int(b[o+3]) }
	bad := errors.New("malformed font directory")
	if len(b) < 12 {
		return nil, bad
	}
	start := 0
	if string(b[:4]) == "ttcf" {
		if len(b) < 16 || u32(8) < 1 {
			return nil, bad
		}
		start = u32(12)
	}
	if start < 0 || start+12 > len(b) {
		return nil, bad
	}
	n := u16(start + 4)
	if n == 0 || n > 256 || start+12+16*n > len(b) {
		return nil, bad
	}
	head := 12 + 16*n
	out := make([]byte, head, len(b))
	copy(out, b[start:start+head])
	for i := range n {
		rec := start + 12 + 16*i
		off, length := u32(rec+8), u32(rec+12)
		if off < 0 || length < 0 || off+length > len(b) {
			return nil, bad
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		at := len(out)
		out = append(out, b[off:off+length]...)
		r := 12 + 16*i
		out[r+8], out[r+9], out[r+10], out[r+11] = byte(at>>24), byte(at>>16), byte(at>>8), byte(at)
	}
	return out, nil
}

// Path returns the font's path.
func (r *Renderer) Path() string { return r.path }

// Face is what a card shows. Everything on it comes from the issuing organisation's records: the
// credential, the ledger, and the personal data it holds in its private collection.
type Face struct {
	// Organisation names, Chinese and English.
	OrgZh, OrgEn string
	// Name is the learner's name as registered (personal data).
	Name      string
	LearnerID string
	Roles     []eduledger.LearnerRole
	// DateOfBirth is printed when known (personal data, YYYY-MM-DD).
	DateOfBirth string
	ValidFrom   time.Time
	ValidUntil  time.Time
	// CredentialID and IssuerDID identify the card credential.
	CredentialID string
	IssuerDID    string
	// PortraitHash is the SHA-256 the ledger holds; Portrait the photo (JPEG or PNG), if held.
	PortraitHash string
	Portrait     []byte
	// Link is the verification link the QR code carries.
	Link string
	// Status is the credential's status; anything but ACTIVE is stamped across the card.
	Status eduledger.CredentialStatus
}

var roleNames = map[eduledger.LearnerRole]string{
	eduledger.RoleStudent: "学生 Student", eduledger.RoleTeacher: "教师 Teacher",
	eduledger.RoleGraduate: "毕业生 Graduate", eduledger.RoleLearner: "学习者 Learner",
}

var statusNames = map[eduledger.CredentialStatus]string{
	eduledger.StatusRevoked: "已撤销 REVOKED", eduledger.StatusSuspended: "已暂停 SUSPENDED", eduledger.StatusExpired: "已过期 EXPIRED",
}

// Card size: ID-1 (85.60 × 53.98 mm) at 300 dpi.
const (
	Width  = 1011
	Height = 638
)

var (
	navy   = color.RGBA{0x1f, 0x4e, 0x8c, 0xff}
	ink    = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
	grey   = color.RGBA{0x6b, 0x72, 0x80, 0xff}
	pale   = color.RGBA{0xee, 0xf1, 0xf6, 0xff}
	rule   = color.RGBA{0xd0, 0xd5, 0xdd, 0xff}
	red    = color.RGBA{0xc0, 0x1c, 0x28, 0xff}
	white  = color.RGBA{0xff, 0xff, 0xff, 0xff}
	stampB = color.NRGBA{0xc0, 0x1c, 0x28, 0x38}
)

// PNG draws the card.
func (r *Renderer) PNG(f *Face) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	fill(img, img.Bounds(), white)
	c := &canvas{img: img, font: r.font, faces: map[float64]font.Face{}}
	defer c.close()

	// Header: organisation and title.
	fill(img, image.Rect(0, 0, Width, 118), navy)
	c.text(40, 58, 34, white, f.OrgZh)
	c.text(40, 96, 19, white, f.OrgEn)
	c.textRight(Width-40, 58, 30, white, "教育信息身份证")
	c.textRight(Width-40, 96, 18, white, "Education Identity Card")

	// Portrait.
	photo := image.Rect(40, 148, 260, 430)
	if err := c.portrait(photo, f.Portrait); err != nil {
		return nil, err
	}

	// Fields.
	x, y := 290, 172
	field := func(x int, label, value string, size float64, w int) {
		c.text(x, y, 16, grey, label)
		c.text(x, y+38, size, ink, c.fit(value, size, w))
	}
	field(x, "姓名 Name", f.Name, 34, 420)
	y += 72
	field(x, "学号 Learner ID", f.LearnerID, 26, 230)
	if f.DateOfBirth != "" {
		field(x+250, "出生日期 Born", f.DateOfBirth, 24, 170)
	}
	y += 72
	roles := make([]string, 0, len(f.Roles))
	for _, ro := range f.Roles {
		if n, ok := roleNames[ro]; ok {
			roles = append(roles, n)
		} else {
			roles = append(roles, string(ro))
		}
	}
	field(x, "身份 Roles", strings.Join(roles, "  "), 24, 420)
	y += 72
	field(x, "有效期 Valid", f.ValidFrom.UTC().Format("2006-01-02")+" 至 "+f.ValidUntil.UTC().Format("2006-01-02"), 24, 420)

	// QR code with the verification link.
	if f.Link != "" {
		code, err := qr.Encode(f.Link, qr.M)
		if err != nil {
			return nil, fmt.Errorf("card: QR code: %w", err)
		}
		drawQR(img, code, image.Rect(Width-40-236, 148, Width-40, 148+236))
		c.textCenter(Width-40-118, 410, 16, grey, "扫码验证 Scan to verify")
	}

	// Footer: identifiers a verifier can check.
	fill(img, image.Rect(40, 452, Width-40, 454), rule)
	c.text(40, 490, 15, grey, "证书编号 Credential  "+f.CredentialID)
	c.text(40, 520, 15, grey, "签发机构 Issuer  "+f.IssuerDID)
	ph := f.PortraitHash
	if ph == "" {
		ph = "—"
	}
	c.text(40, 550, 15, grey, "照片摘要 Portrait SHA-256  "+ph)
	c.text(40, 590, 14, grey, "本证由 EduLedger 区块链存证，以扫码核验结果为准。 Anchored on EduLedger; the scan result prevails.")

	if f.Status != "" && f.Status != eduledger.StatusActive {
		box := image.Rect(300, 250, Width-300, 360)
		fill(img, box, stampB)
		outline(img, box, red, 4)
		name := statusNames[f.Status]
		if name == "" {
			name = string(f.Status)
		}
		c.textCenter((box.Min.X+box.Max.X)/2, box.Min.Y+70, 40, red, name)
	}

	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("card: encode: %w", err)
	}
	return out.Bytes(), nil
}

// QRPNG draws a QR code for text: a white 4-module quiet zone and scale pixels per module.
func QRPNG(text string, scale int) ([]byte, error) {
	if scale < 1 || scale > 64 {
		return nil, eduledger.Errorf(eduledger.EINVALID, "QR scale must be 1 to 64 pixels per module")
	}
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, eduledger.Errorf(eduledger.EINVALID, "QR code: %v", err)
	}
	side := (code.Size + 8) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	drawQR(img, code, img.Bounds())
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("card: encode: %w", err)
	}
	return out.Bytes(), nil
}

// drawQR draws code into r (a square) with a 4-module white quiet zone, at the largest whole
// number of pixels per module that fits, centred.
func drawQR(img draw.Image, code *qr.Code, r image.Rectangle) {
	modules := code.Size + 8
	scale := max(1, min(r.Dx(), r.Dy())/modules)
	side := modules * scale
	x0 := r.Min.X + (r.Dx()-side)/2
	y0 := r.Min.Y + (r.Dy()-side)/2
	fill(img, image.Rect(x0, y0, x0+side, y0+side), white)
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				px, py := x0+(x+4)*scale, y0+(y+4)*scale
				fill(img, image.Rect(px, py, px+scale, py+scale), color.Black)
			}
		}
	}
}

func fill(img draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Over)
}

func outline(img draw.Image, r image.Rectangle, c color.Color, w int) {
	fill(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+w), c)
	fill(img, image.Rect(r.Min.X, r.Max.Y-w, r.Max.X, r.Max.Y), c)
	fill(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+w, r.Max.Y), c)
	fill(img, image.Rect(r.Max.X-w, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// canvas draws text in sizes of one font.
type canvas struct {
	img   *image.RGBA
	font  *sfnt.Font
	faces map[float64]font.Face
}

func (c *canvas) face(size float64) font.Face {
	if f, ok := c.faces[size]; ok {
		return f
	}
	f, err := opentype.NewFace(c.font, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		// The font parsed and has the glyphs; a face of a positive size cannot fail.
		panic(fmt.Sprintf("card: face of size %v: %v", size, err))
	}
	c.faces[size] = f
	return f
}

func (c *canvas) close() {
	for _, f := range c.faces {
		f.Close()
	}
}

func (c *canvas) width(s string, size float64) int {
	return font.MeasureString(c.face(size), s).Ceil()
}

func (c *canvas) text(x, y int, size float64, col color.Color, s string) {
	d := &font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: c.face(size), Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func (c *canvas) textRight(x, y int, size float64, col color.Color, s string) {
	c.text(x-c.width(s, size), y, size, col, s)
}

func (c *canvas) textCenter(x, y int, size float64, col color.Color, s string) {
	c.text(x-c.width(s, size)/2, y, size, col, s)
}

// fit shortens s with an ellipsis until it is at most w pixels wide.
func (c *canvas) fit(s string, size float64, w int) string {
	if c.width(s, size) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 1 && c.width(string(rs)+"…", size) > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

// portrait draws the photo cropped to fill r, or a placeholder when there is none.
func (c *canvas) portrait(r image.Rectangle, photo []byte) error {
	fill(c.img, r, pale)
	if len(photo) == 0 {
		c.textCenter((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2, 22, grey, "照片 Photo")
		outline(c.img, r, rule, 2)
		return nil
	}
	src, _, err := image.Decode(bytes.NewReader(photo))
	if err != nil {
		return eduledger.Errorf(eduledger.EINVALID, "the portrait cannot be decoded: %v", err)
	}
	sb := src.Bounds()
	// Crop the source to the box's aspect ratio, centred, then scale.
	want := float64(r.Dx()) / float64(r.Dy())
	crop := sb
	if got := float64(sb.Dx()) / float64(sb.Dy()); got > want {
		w := int(float64(sb.Dy()) * want)
		crop.Min.X += (sb.Dx() - w) / 2
		crop.Max.X = crop.Min.X + w
	} else {
		h := int(float64(sb.Dx()) / want)
		crop.Min.Y += (sb.Dy() - h) / 2
		crop.Max.Y = crop.Min.Y + h
	}
	draw.CatmullRom.Scale(c.img, r, src, crop, draw.Over, nil)
	outline(c.img, r, rule, 2)
	return nil
}
