package verifier

import (
	"fmt"
	"time"

	"github.com/eduledger/eduledger"
)

// Bilingual wording of what the ledger records as codes, so that clients and the page need no table
// of their own.

var reasonTexts = map[string]Text{
	eduledger.ReasonIssuedInError: {Zh: "误发", En: "issued in error"},
	eduledger.ReasonFraud:         {Zh: "欺诈", En: "fraud"},
	eduledger.ReasonSuperseded:    {Zh: "已被新证书取代", En: "superseded by a newer credential"},
	eduledger.ReasonDisciplinary:  {Zh: "纪律处分", En: "disciplinary action"},
	eduledger.ReasonKeyCompromise: {Zh: "签发密钥泄露", En: "the issuer's key was compromised"},
	eduledger.ReasonUnderReview:   {Zh: "正在审查", En: "under review"},
	eduledger.ReasonReinstated:    {Zh: "已恢复", En: "reinstated"},
	eduledger.ReasonOther:         {Zh: "其他原因", En: "other reason"},
}

// reasonText returns the wording of a status reason code (the code itself when unknown).
func reasonText(code string) Text {
	if t, ok := reasonTexts[code]; ok {
		return t
	}
	return Text{Zh: code, En: code}
}

var typeNames = map[eduledger.CredentialType]Text{
	eduledger.TypeIdentityCard:        {Zh: "教育信息身份证", En: "Education identity card"},
	eduledger.TypeDiploma:             {Zh: "毕业证书", En: "Diploma"},
	eduledger.TypeDegree:              {Zh: "学位证书", En: "Degree"},
	eduledger.TypeCertificate:         {Zh: "证书", En: "Certificate"},
	eduledger.TypeTranscript:          {Zh: "成绩单", En: "Transcript"},
	eduledger.TypeMicroCredential:     {Zh: "微证书", En: "Micro-credential"},
	eduledger.TypeInternshipRecord:    {Zh: "实习证明", En: "Internship record"},
	eduledger.TypeTrainingCertificate: {Zh: "培训证书", En: "Training certificate"},
}

// TypeName returns the bilingual name of a credential type.
func TypeName(t eduledger.CredentialType) Text {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return Text{Zh: string(t), En: string(t)}
}

var kindNames = map[eduledger.OrgKind]Text{
	eduledger.KindGovernment: {Zh: "政府机构", En: "government body"},
	eduledger.KindSchool:     {Zh: "学校", En: "school"},
	eduledger.KindEnterprise: {Zh: "企业", En: "enterprise"},
	eduledger.KindTraining:   {Zh: "培训机构", En: "training provider"},
}

// tf builds a Text from two format strings sharing the same arguments.
func tf(en, zh string, args ...any) Text {
	return Text{En: fmt.Sprintf(en, args...), Zh: fmt.Sprintf(zh, args...)}
}

// day and instant render times the same way in both languages: the page localises nothing the
// server already wrote.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func instant(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// join concatenates texts with a separator suited to each language.
func join(parts []Text) Text {
	var out Text
	for i, p := range parts {
		if i > 0 {
			out.En += "; "
			out.Zh += "；"
		}
		out.En += p.En
		out.Zh += p.Zh
	}
	return out
}
