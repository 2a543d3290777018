package idcard_test

import (
	"fmt"

	"github.com/eduledger/eduledger/sdk/idcard"
)

func ExampleEncodeBase45() {
	// Tokens are Base45 so that QR codes can use their alphanumeric mode.
	fmt.Println(idcard.EncodeBase45([]byte("ietf!")))
	b, _ := idcard.DecodeBase45("QED8WEX0")
	fmt.Println(string(b))
	// Output:
	// QED8WEX0
	// ietf!
}
