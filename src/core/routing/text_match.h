// Keyword matching text rules, shared by the Aho–Corasick index and the naive matcher so
// that both agree by construction.
//
// Guarantees:
// - Case-insensitive: text and keywords are folded the same way (ASCII, Latin-1, Latin
//   Extended-A, Latin Extended Additional (Vietnamese), Greek, Cyrillic, Armenian and
//   fullwidth Latin; simple one-to-one folding, no normalization forms).
// - Runs of white space (including no-break and ideographic spaces) compare as one space;
//   invalid UTF-8 becomes U+FFFD, which separates words.
// - Word boundaries are by code point class, not by byte: letters and digits of alphabetic
//   scripts (Latin with accents, Greek, Cyrillic, Arabic, Hebrew, Indic…, plus '_' and
//   combining marks) are word characters; punctuation, symbols and emoji are separators;
//   scripts written without spaces (CJK ideographs, kana, Hangul, Thai, Lao, Khmer,
//   Myanmar) are "ideographic": a keyword may start or end next to them. A keyword needs a
//   boundary only on a side where its own edge character is a word character, so "c++"
//   and "#refund" work, "refund" does not match in "refunds" or "réfund", and "退款" matches
//   inside "我要退款".
#pragma once

#include <string>
#include <string_view>

namespace duplex::routing {

enum class CharClass { kSeparator, kWord, kIdeographic };

CharClass Classify(char32_t cp);
char32_t FoldCase(char32_t cp);

// The text as keyword matching sees it (folded, spaces collapsed, valid UTF-8).
std::string FoldForMatch(std::string_view text);
// A keyword as stored and matched: folded, trimmed, spaces collapsed. Empty if nothing is left.
std::string NormalizeKeyword(std::string_view keyword);

// True when the occurrence folded[begin, begin + len) sits on word boundaries.
bool OnWordBoundaries(std::string_view folded, std::size_t begin, std::size_t len);

// The naive matcher (reference for the index, and the benchmark's baseline): does
// `keyword` (normalized) occur in `folded` on word boundaries?
bool ContainsKeyword(std::string_view folded, std::string_view keyword);

}  // namespace duplex::routing
