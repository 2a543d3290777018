package jsoncanon_test

import (
	"fmt"

	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

func Example() {
	doc, err := jsoncanon.Parse([]byte(`{"name": "Diploma", "credits": 160.0, "@context": ["https://www.w3.org/ns/credentials/v2"]}`), jsoncanon.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	canonical, _ := jsoncanon.Append(nil, doc)
	fmt.Println(string(canonical))

	_, err = jsoncanon.Parse([]byte(`{"issuer": "a", "issuer": "b"}`), jsoncanon.Limits{})
	fmt.Println(err)
	// Output:
	// {"@context":["https://www.w3.org/ns/credentials/v2"],"credits":160,"name":"Diploma"}
	// json: issuer: duplicate key (byte 16)
}
