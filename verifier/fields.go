package verifier

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
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

func disclosedFields(doc map[string]any) []Field {
	out := []Field{}
	add := func(path string, v Text) {
		if len(out) < maxFields && (v.En != "" || v.Zh != "") {
			out = append(out, Field{Path: path, Label: labelOf(path), Value: v})
		}
	}
	if d, ok := doc["description"]; ok {
		add("description", docText(d))
	}
	subj, _ := doc["credentialSubject"].(map[string]any)
	for _, k := range ordered(subj, fieldOrder) {
		path := "credentialSubject." + k
		switch val := subj[k]; k {
		case "type":
		case "achievement":
			ach, ok := val.(map[string]any)
			if !ok {
				add(path, plain(val))
				continue
			}
			for _, ak := range ordered(ach, achievementOrder) {
				switch ak {
				case "id", "type":
				case "criteria":
					if c, ok := ach[ak].(map[string]any); ok {
						add(path+".criteria", docText(c["narrative"]))
					}
				case "alignment":
					for _, a := range asList(ach[ak]) {
						if m, ok := a.(map[string]any); ok {
							add(path+".alignment", plain(m["targetName"]))
						}
					}
				default:
					add(path+"."+ak, docText(ach[ak]))
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
			add(path, plain(dateOnly(val)))
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

// ordered returns m's keys: those in first in that order, then the rest sorted.
func ordered(m map[string]any, first []string) []string {
	keys := make([]string, 0, len(m))
	for _, k := range first {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(first, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// docText reads a VC 2.0 value that may be a plain string, a language value object or an array of
// them; any other value is rendered as text.
func docText(v any) Text {
	var t Text
	switch x := v.(type) {
	case nil:
		return t
	case map[string]any:
		if val, ok := x["@value"].(string); ok {
			lang, _ := x["@language"].(string)
			if strings.HasPrefix(strings.ToLower(lang), "zh") {
				t.Zh = val
			} else {
				t.En = val
			}
			return fill(t)
		}
	case []any:
		var parts []Text
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if val, ok := m["@value"].(string); ok {
					if lang, _ := m["@language"].(string); strings.HasPrefix(strings.ToLower(lang), "zh") {
						t.Zh = cmp.Or(t.Zh, val)
					} else {
						t.En = cmp.Or(t.En, val)
					}
					continue
				}
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
func plain(v any) Text {
	var s string
	switch x := v.(type) {
	case nil:
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = fmt.Sprint(x)
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return Text{Zh: s, En: s}
}

func dateOnly(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil && t.UTC().Format("15:04:05") == "00:00:00" {
		return t.UTC().Format(time.DateOnly)
	}
	return s
}

func resultText(r any) Text {
	m, ok := r.(map[string]any)
	if !ok {
		return plain(r)
	}
	var parts []string
	for _, k := range []string{"value", "achievedLevel", "status"} {
		if s, ok := m[k].(string); ok && s != "" {
			parts = append(parts, s)
		}
	}
	return plain(strings.Join(parts, " · "))
}

// courseText renders one course of a transcript: code, name, results, credits and term.
func courseText(rec any) Text {
	m, _ := rec.(map[string]any)
	subj, _ := m["credentialSubject"].(map[string]any)
	ach, _ := subj["achievement"].(map[string]any)
	name := docText(ach["name"])
	if code, ok := ach["humanCode"].(string); ok && code != "" {
		name.En, name.Zh = code+" "+name.En, code+" "+name.Zh
	}
	var results []string
	for _, r := range asList(subj["result"]) {
		if t := resultText(r); t.En != "" {
			results = append(results, t.En)
		}
	}
	out := name
	if len(results) > 0 {
		out.En += " — " + strings.Join(results, ", ")
		out.Zh += " — " + strings.Join(results, "，")
	}
	if c, ok := subj["creditsEarned"].(json.Number); ok {
		out.En += ", " + c.String() + " credits"
		out.Zh += "，" + c.String() + " 学分"
	}
	if term, ok := subj["term"].(string); ok && term != "" {
		out.En += " (" + term + ")"
		out.Zh += "（" + term + "）"
	}
	return out
}
