package credential

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// seqPattern matches, without a regular expression engine, the kind of pattern most of our schemas
// use for identifiers: anchored at both ends, a sequence of literals and of character classes
// repeated a bounded or unbounded number of times ("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-…$",
// "^did:eduledger:learner:[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"). Such values are mostly unique to
// each credential (its ID, its learner), so a cache of matches does not help them and a regular
// expression costs a microsecond each.
//
// It accepts only patterns where greedy matching is exact: every repetition of variable length is
// followed by the end or by a literal or class that its own class cannot match, so consuming as
// much as possible never has to be undone. Anything else (alternation, groups, optional items
// after a variable repetition, case folding) is left to the regexp package. FuzzSeqPatternAgrees
// holds it to regexp.MatchString.
type seqPattern struct {
	items []seqItem
}

type seqItem struct {
	lit      string // a literal, when ranges is nil
	ranges   []rune // a class: sorted, non-overlapping [lo, hi] pairs
	min, max int    // repetitions of the class; max < 0: unbounded
}

// compileSeqPattern returns the matcher of pattern, or false when pattern is not of that kind.
func compileSeqPattern(pattern string) (*seqPattern, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 ||
		re.Sub[0].Op != syntax.OpBeginText || re.Sub[len(re.Sub)-1].Op != syntax.OpEndText {
		return nil, false
	}
	p := &seqPattern{}
	for _, sub := range re.Sub[1 : len(re.Sub)-1] {
		it, ok := seqItemOf(sub)
		if !ok {
			return nil, false
		}
		p.items = append(p.items, it)
	}
	// Greedy matching is exact only if a variable repetition cannot eat what must follow it.
	for i, it := range p.items {
		if it.ranges == nil || it.min == it.max {
			continue
		}
		if i+1 == len(p.items) {
			continue // followed by the end
		}
		next := p.items[i+1]
		switch {
		case next.ranges == nil:
			r, _ := utf8.DecodeRuneInString(next.lit)
			if inRanges(it.ranges, r) {
				return nil, false
			}
		case next.min == 0 || overlap(it.ranges, next.ranges):
			return nil, false
		}
	}
	return p, true
}

func seqItemOf(re *syntax.Regexp) (seqItem, bool) {
	if re.Flags&syntax.FoldCase != 0 {
		return seqItem{}, false
	}
	switch re.Op {
	case syntax.OpLiteral:
		lit := string(re.Rune)
		// A literal U+FFFD would also match an invalid byte of the input, as the regexp package
		// decodes it; leave that to the regexp package.
		if lit == "" || strings.ContainsRune(lit, utf8.RuneError) {
			return seqItem{}, false
		}
		return seqItem{lit: lit}, true
	case syntax.OpCharClass:
		return classItem(re.Rune, 1, 1)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		if re.Flags&syntax.NonGreedy != 0 || len(re.Sub) != 1 {
			return seqItem{}, false
		}
		min, max := re.Min, re.Max
		switch re.Op {
		case syntax.OpStar:
			min, max = 0, -1
		case syntax.OpPlus:
			min, max = 1, -1
		case syntax.OpQuest:
			min, max = 0, 1
		}
		sub := re.Sub[0]
		if sub.Flags&syntax.FoldCase != 0 {
			return seqItem{}, false
		}
		switch {
		case sub.Op == syntax.OpCharClass:
			return classItem(sub.Rune, min, max)
		case sub.Op == syntax.OpLiteral && len(sub.Rune) == 1 && sub.Rune[0] != utf8.RuneError:
			return classItem([]rune{sub.Rune[0], sub.Rune[0]}, min, max)
		}
	}
	return seqItem{}, false
}

func classItem(ranges []rune, min, max int) (seqItem, bool) {
	if len(ranges) == 0 || len(ranges)%2 != 0 || min < 0 || (max >= 0 && max < min) {
		return seqItem{}, false
	}
	return seqItem{ranges: ranges, min: min, max: max}, true
}

func inRanges(ranges []rune, r rune) bool {
	for i := 0; i < len(ranges); i += 2 {
		if r < ranges[i] {
			return false // sorted
		}
		if r <= ranges[i+1] {
			return true
		}
	}
	return false
}

func overlap(a, b []rune) bool {
	for i := 0; i < len(a); i += 2 {
		for j := 0; j < len(b); j += 2 {
			if a[i] <= b[j+1] && b[j] <= a[i+1] {
				return true
			}
		}
	}
	return false
}

// match reports whether the whole of s matches.
func (p *seqPattern) match(s string) bool {
	pos := 0
	for _, it := range p.items {
		if it.ranges == nil {
			if !strings.HasPrefix(s[pos:], it.lit) {
				return false
			}
			pos += len(it.lit)
			continue
		}
		n := 0
		for pos < len(s) && (it.max < 0 || n < it.max) {
			r, size := rune(s[pos]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[pos:])
			}
			if !inRanges(it.ranges, r) {
				break
			}
			pos += size
			n++
		}
		if n < it.min {
			return false
		}
	}
	return pos == len(s)
}
