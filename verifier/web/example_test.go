package web_test

import (
	"fmt"

	"github.com/eduledger/eduledger/verifier/web"
)

func ExampleLanguage() {
	// The page opens in the reader's language; Chinese unless English is preferred.
	fmt.Println(web.Language("en-US,en;q=0.9,zh;q=0.8"))
	fmt.Println(web.Language("zh-CN,zh;q=0.9"))
	fmt.Println(web.Language(""))
	// Output:
	// en
	// zh-CN
	// zh-CN
}
