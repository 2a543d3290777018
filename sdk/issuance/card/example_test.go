package card_test

import (
	"fmt"
	"time"

	"github.com/eduledger/eduledger"
	"github.com/eduledger/eduledger/sdk/issuance/card"
)

// Example draws an identity card with an installed CJK font.
func Example() {
	path, ok := card.FindFont()
	if !ok {
		fmt.Println("install fonts-wqy-microhei or fonts-noto-cjk")
		return
	}
	r, err := card.NewRenderer(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	png, err := r.PNG(&card.Face{OrgZh: "滨江大学", OrgEn: "Riverside University", Name: "王小明", LearnerID: "L2026001",
		Roles: []eduledger.LearnerRole{eduledger.RoleStudent}, ValidFrom: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),
		ValidUntil: time.Date(2030, 7, 1, 0, 0, 0, 0, time.UTC), CredentialID: "urn:uuid:4f1c9a2e-8b1d-4c3e-9a55-0c6d2b7f1e10",
		IssuerDID: eduledger.OrgDID("riverside-university"), Link: "https://verify.example.edu.cn/v?id=urn%3Auuid%3A4f1c9a2e"})
	fmt.Println(len(png) > 0, err)
}

// ExampleQRPNG draws the QR code of a verification link.
func ExampleQRPNG() {
	png, err := card.QRPNG("https://verify.example.edu.cn/v?id=urn%3Auuid%3A4f1c9a2e", 4)
	fmt.Println(string(png[1:4]), err)
	// Output: PNG <nil>
}
