package verifier

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/eduledger/eduledger/sdk/jsoncanon"
)

// The fields a credential discloses, labelled for a clerk. Only what is in the credential is shown;
// nothing is looked up elsewhere (personal data never leaves the issuer's private collection).

var fieldLabels = map[string]Text{
	"description":                                    {Zh: "说明", En: "Description"},
	"credentialSubject.id":                           {Zh: "持有人", En: "Holder"},
	"credentialSubject.learnerId":                    {Zh: "学习者编号", En: "Learner ID"},
	"credentialSubject.roles":                        {Zh: "身份", En: "Roles"},
	"credentialSubject.portraitHash":                 {Zh: "照片摘要", En: "Portrait digest"},
	"credentialSubject.publicKeyMultibase":           {Zh: "持有人签名公钥", En: "Holder signing key"},
	"credentialSubject.keyAgreementMultibase":        {Zh: "持有人加密公钥", En: "Holder encryption key"},
	"credentialSubject.achievement.name":             {Zh: "名称", En: "Achievement"},
	"credentialSubject.achievement.achievementType":  {Zh: "类别", En: "Kind"},
	"credentialSubject.achievement.fieldOfStudy":     {Zh: "专业", En: "Field of study"},
	"credentialSubject.achievement.specialization":   {Zh: "方向", En: "Specialisation"},
	"credentialSubject.achievement.humanCode":        {Zh: "代码", En: "Code"},
	"credentialSubject.achievement.description":      {Zh: "简介", En: "About"},
	"credentialSubject.achievement.criteria":         {Zh: "获得条件", En: "Criteria"},
	"credentialSubject.achievement.creditsAvailable": {Zh: "要求学分", En: "Credits required"},
	"credentialSubject.achievement.alignment":        {Zh: "对应能力", En: "Aligned with"},
	"credentialSubject.achievement.inLanguage":       {Zh: "语言", En: "Language"},
	"credentialSubject.result":                       {Zh: "成绩", En: "Result"},
	"credentialSubject.creditsEarned":                {Zh: "获得学分", En: "Credits earned"},
	"credentialSubject.activityStartDate":            {Zh: "开始日期", En: "Start date"},
	"credentialSubject.activityEndDate":              {Zh: "结束日期", En: "End date"},
	"credentialSubject.term":                         {Zh: "学期", En: "Term"},
	"credentialSubject.role":                         {Zh: "担任角色", En: "Role"},
	"credentialSubject.certificateNumber":            {Zh: "证书编号", En: "Certificate number"},
	"credentialSubject.verifiableCredential":         {Zh: "课程", En: "Course"},
}

// fieldOrder is the order known subject fields are shown in; others follow in key order.
var fieldOrder = []string{"id", "learnerId", "roles", "achievement", "result", "creditsEarned", "activityStartDate",
	"activityEndDate", "term", "role", "certificateNumber", "verifiableCredential", "portraitHash",
	"publicKeyMultibase", "keyAgreementMultibase"}

var achievementOrder = []string{"name", "achievementType", "fieldOfStudy", "specialization", "humanCode",
	"description", "criteria", "creditsAvailable", "alignment", "inLanguage"}

// maxFields bounds what one credential contributes, whatever its size.
const maxFields = 200

func disclosedFields(doc *jsoncanon.Value) []Field {
	out := make([]Field, 0, 16)
	add := func(path string, v Text) {
		if len(out) < maxFields && (v.En != "" || v.Zh != "") {
			out = append(out, Field{Path: path, Label: labelOf(path), Value: v})
		}
	}
	if d, ok := doc.Get("description"); ok {
		add("description", docText(d))
	}
	subj, ok := doc.Get("credentialSubject")
	if !ok || subj.Kind() != jsoncanon.Object {
		return out
	}
	for _, k := range ordered(subj, fieldOrder) {
		path := "credentialSubject." + k
		val, _ := subj.Get(k)
		switch k {
		case "type":
		case "achievement":
			if val.Kind() != jsoncanon.Object {
				add(path, plain(val))
				continue
			}
			for _, ak := range ordered(val, achievementOrder) {
				av, _ := val.Get(ak)
				switch ak {
				case "id", "type":
				case "criteria":
					if n, ok := av.Get("narrative"); ok {
						add(path+".criteria", docText(n))
					}
				case "alignment":
					for _, a := range asList(av) {
						if n, ok := a.Get("targetName"); ok {
							add(path+".alignment", plain(n))
						}
					}
				default:
					add(path+"."+ak, docText(av))
				}
			}
		case "result":
			for _, r := range asList(val) {
				add(path, resultText(r))
			}
		case "verifiableCredential":
			for _, rec := range asList(val) {
				add(path, courseText(rec))
			}
		case "activityStartDate", "activityEndDate":
			add(path, dateOnly(val))
		default:
			add(path, docText(val))
		}
	}
	return out
}

func labelOf(path string) Text {
	if l, ok := fieldLabels[path]; ok {
		return l
	}
	name := path[strings.LastIndexByte(path, '.')+1:]
	return Text{Zh: name, En: name}
}

// ordered returns an object's keys: those in first in that order, then the rest in canonical
// order.
func ordered(v *jsoncanon.Value, first []string) []string {
	members := v.Members()
	keys := make([]string, 0, len(members))
	for _, k := range first {
		if _, ok := v.Get(k); ok {
			keys = append(keys, k)
		}
	}
	for _, m := range members {
		if !slices.Contains(first, m.Key) {
			keys = append(keys, m.Key)
		}
	}
	return keys
}

// asList returns an array's elements, or the value alone.
func asList(v *jsoncanon.Value) []*jsoncanon.Value {
	switch v.Kind() {
	case jsoncanon.Null:
		return nil
	case jsoncanon.Array:
		elems := v.Elems()
		out := make([]*jsoncanon.Value, len(elems))
		for i := range elems {
			out[i] = &elems[i]
		}
		return out
	}
	return []*jsoncanon.Value{v}
}

// docText reads a VC 2.0 value that may be a plain string, a language value object or an array of
// them; any other value is rendered as text.
func docText(v *jsoncanon.Value) Text {
	var t Text
	switch v.Kind() {
	case jsoncanon.Null:
		return t
	case jsoncanon.Object:
		if val, ok := v.Get("@value"); ok {
			s, _ := val.Str()
			if isChinese(v.GetStr("@language")) {
				t.Zh = s
			} else {
				t.En = s
			}
			return fill(t)
		}
	case jsoncanon.Array:
		var parts []Text
		for _, e := range asList(v) {
			if val, ok := e.Get("@value"); ok && e.Kind() == jsoncanon.Object {
				s, _ := val.Str()
				if isChinese(e.GetStr("@language")) {
					t.Zh = cmp.Or(t.Zh, s)
				} else {
					t.En = cmp.Or(t.En, s)
				}
				continue
			}
			parts = append(parts, docText(e))
		}
		if t.En != "" || t.Zh != "" {
			return fill(t)
		}
		for i, p := range parts {
			if i > 0 {
				t.En += ", "
				t.Zh += "、"
			}
			t.En += p.En
			t.Zh += p.Zh
		}
		return t
	}
	return plain(v)
}

func isChinese(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "zh") }

func fill(t Text) Text {
	if t.Zh == "" {
		t.Zh = t.En
	}
	if t.En == "" {
		t.En = t.Zh
	}
	return t
}

// plain renders a scalar (or, compactly, anything else) the same in both languages.
func plain(v *jsoncanon.Value) Text {
	var s string
	switch v.Kind() {
	case jsoncanon.Null:
	case jsoncanon.String:
		s, _ = v.Str()
	case jsoncanon.Number:
		n, _ := v.Number()
		s = n.String()
	default:
		b, _ := jsoncanon.AppendValue(nil, v)
		s = string(b)
	}
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return Text{Zh: s, En: s}
}

func dateOnly(v *jsoncanon.Value) Text {
	if s, ok := v.Str(); ok {
		if t, err := time.Parse(time.RFC3339, s); err == nil && t.UTC().Format("15:04:05") == "00:00:00" {
			d := t.UTC().Format(time.DateOnly)
			return Text{Zh: d, En: d}
		}
	}
	return plain(v)
}

func resultText(r *jsoncanon.Value) Text {
	if r.Kind() != jsoncanon.Object {
		return plain(r)
	}
	var parts []string
	for _, k := range []string{"value", "achievedLevel", "status"} {
		if s := r.GetStr(k); s != "" {
			parts = append(parts, s)
		}
	}
	s := strings.Join(parts, " · ")
	return Text{Zh: s, En: s}
}

// courseText renders one course of a transcript: code, name, results, credits and term.
func courseText(rec *jsoncanon.Value) Text {
	subj, _ := rec.Get("credentialSubject")
	ach, _ := subj.Get("achievement")
	nameV, _ := ach.Get("name")
	name := docText(nameV)
	if code := ach.GetStr("humanCode"); code != "" {
		name.En, name.Zh = code+" "+name.En, code+" "+name.Zh
	}
	var results []string
	resV, _ := subj.Get("result")
	for _, r := range asList(resV) {
		if t := resultText(r); t.En != "" {
			results = append(results, t.En)
		}
	}
	out := name
	if len(results) > 0 {
		out.En += " — " + strings.Join(results, ", ")
		out.Zh += " — " + strings.Join(results, "，")
	}
	if c, ok := subj.Get("creditsEarned"); ok {
		if n, ok := c.Number(); ok {
			out.En += ", " + n.String() + " credits"
			out.Zh += "，" + n.String() + " 学分"
		}
	}
	if term := subj.GetStr("term"); term != "" {
		out.En += " (" + term + ")"
		out.Zh += "（" + term + "）"
	}
	return out
}
