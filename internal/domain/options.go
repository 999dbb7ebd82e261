package domain

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"koinon/internal/tally"
)

// foldLetters spells the Latin letters that Unicode does not decompose
// into a base letter and marks.
var foldLetters = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d",
	'þ': "th", 'ł': "l", 'ı': "i", 'ħ': "h", 'ŋ': "n",
}

// maxKey is the longest option key tally.md §1 allows.
const maxKey = 64

// OptionKey derives an option key ([a-z0-9-]{1,64}, tally.md §1) from a
// label in any script. Latin letters lose their diacritics ("Dara Ó
// Briain" → "dara-o-briain"), every run of other characters becomes one
// hyphen. When a letter or digit cannot be spelled in a-z0-9 ("日本語",
// "Дмитрий", "Café 東京") the key is instead a short stable id derived
// from the label: "o-" and the first 10 base32 digits (50 bits) of its
// SHA-256, so labels differing only in such letters still get different
// keys.
func OptionKey(label string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFKD.String(strings.ToLower(label)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < 0x80 && (unicode.IsLower(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case foldLetters[r] != "":
			b.WriteString(foldLetters[r])
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			return hashKey(label)
		default:
			if b.Len() > 0 && !hyphen {
				b.WriteByte('-')
			}
			hyphen = true
			continue
		}
		hyphen = false
	}
	k := cut(b.String(), maxKey)
	if k == "" {
		return hashKey(label)
	}
	return k
}

// hashKey is the stable id OptionKey gives a label it cannot spell.
func hashKey(label string) string {
	sum := sha256.Sum256([]byte(norm.NFC.String(label)))
	return "o-" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:])[:10])
}

// cut shortens k to at most n bytes without a trailing hyphen.
func cut(k string, n int) string {
	if len(k) > n {
		k = k[:n]
	}
	return strings.TrimRight(k, "-")
}

// UniqueOptionKey is OptionKey(label), with "-2", "-3", … appended while
// the key is taken (already used by another option of the ballot).
func UniqueOptionKey(label string, taken map[string]bool) string {
	base := OptionKey(label)
	k := base
	for i := 2; taken[k]; i++ {
		suffix := "-" + strconv.Itoa(i)
		k = cut(base, maxKey-len(suffix)) + suffix
	}
	return k
}

// CheckOptionKey validates a ballot option key (tally.md §1) by the tally
// engine's rule.
func CheckOptionKey(field, k string) error {
	if !tally.ValidKey(k) {
		return Refuse(field, "option_key")
	}
	return nil
}
