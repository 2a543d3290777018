package holder_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"

	"github.com/eduledger/eduledger/sdk/holder"
	"github.com/eduledger/eduledger/sdk/multikey"
)

// The issuer service encrypts a transcript to the key on the learner's card; the learner's CLI
// decrypts it with the private key from their keystore (keystore.Store.X25519).
func ExampleSeal() {
	key, _ := ecdh.X25519().GenerateKey(rand.Reader)
	onCard, _ := multikey.Encode(multikey.X25519, key.PublicKey().Bytes())

	envelope, _ := holder.Seal(onCard, "application/vc+json", []byte(`{"transcript":"…"}`))
	plaintext, contentType, err := holder.Open(key, envelope)
	fmt.Println(string(plaintext), contentType, err)
	// Output: {"transcript":"…"} application/vc+json <nil>
}
