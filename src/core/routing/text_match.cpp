#include "core/routing/text_match.h"

#include "core/text.h"

namespace duplex::routing {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

struct Decoded {
  char32_t cp = kReplacement;
  std::size_t len = 1;
  bool valid = false;
};

// One code point at s[i]; an invalid or truncated sequence decodes as one invalid byte.
Decoded DecodeAt(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1, true};
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {};
  }
  if (i + len > s.size()) return {};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, len, true};
}

// The code point that ends just before `end` (a separator if the bytes there are invalid).
char32_t DecodeBefore(std::string_view s, std::size_t end) {
  std::size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
    --start;
  }
  Decoded d = DecodeAt(s, start);
  return d.valid && start + d.len == end ? d.cp : kReplacement;
}

bool In(char32_t cp, char32_t lo, char32_t hi) {
  return cp >= lo && cp <= hi;
}

bool IsSpace(char32_t cp) {
  return cp == ' ' || In(cp, 0x09, 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         In(cp, 0x2000, 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

// Invisible characters that must not split a word: soft hyphen, byte order mark.
bool IsIgnorable(char32_t cp) {
  return cp == 0xAD || cp == 0xFEFF;
}

// Upper-case letters whose lower case is the next code point (alternating pairs).
bool IsEvenPairUpper(char32_t cp) {
  return (In(cp, 0x0100, 0x012F) || In(cp, 0x0132, 0x0137) || In(cp, 0x014A, 0x0177) ||
          In(cp, 0x0460, 0x0481) || In(cp, 0x048A, 0x04BF) || In(cp, 0x04D0, 0x052F) ||
          In(cp, 0x1E00, 0x1E95) || In(cp, 0x1EA0, 0x1EFF)) &&
         cp % 2 == 0;
}

bool IsOddPairUpper(char32_t cp) {
  return (In(cp, 0x0139, 0x0148) || In(cp, 0x0179, 0x017E) || In(cp, 0x04C1, 0x04CE)) &&
         cp % 2 == 1;
}

}  // namespace

char32_t FoldCase(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (In(cp, 0xC0, 0xDE) && cp != 0xD7) return cp + 0x20;
  if (IsEvenPairUpper(cp) || IsOddPairUpper(cp)) return cp + 1;
  switch (cp) {
    case 0x0130:
      return 'i';  // İ
    case 0x0178:
      return 0xFF;  // Ÿ
    case 0x017F:
      return 's';  // ſ
    case 0x1E9E:
      return 0xDF;  // ẞ
    case 0x0386:
      return 0x03AC;  // Ά
    case 0x038C:
      return 0x03CC;  // Ό
    case 0x03C2:
      return 0x03C3;  // final sigma
    case 0x04C0:
      return 0x04CF;  // Ӏ
    default:
      break;
  }
  if (In(cp, 0x0388, 0x038A)) return cp + 37;
  if (In(cp, 0x038E, 0x038F)) return cp + 63;
  if (In(cp, 0x0391, 0x03AB) && cp != 0x03A2) return cp + 32;
  if (In(cp, 0x0400, 0x040F)) return cp + 80;
  if (In(cp, 0x0410, 0x042F)) return cp + 32;
  if (In(cp, 0x0531, 0x0556)) return cp + 48;
  if (In(cp, 0xFF21, 0xFF3A)) return cp + 32;
  return cp;
}

CharClass Classify(char32_t cp) {
  using C = CharClass;
  if (cp < 0x80) {
    bool word = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
                cp == '_';
    return word ? C::kWord : C::kSeparator;
  }
  if (cp < 0xC0) return (cp == 0xAA || cp == 0xB5 || cp == 0xBA) ? C::kWord : C::kSeparator;
  if (cp == 0xD7 || cp == 0xF7) return C::kSeparator;
  if (cp < 0x0E00) {
    // Punctuation of alphabetic scripts: Greek, Armenian, Hebrew, Arabic, Devanagari.
    if (cp == 0x037E || cp == 0x0387 || In(cp, 0x055A, 0x055F) || cp == 0x0589 || cp == 0x05BE ||
        cp == 0x05C0 || cp == 0x05C3 || cp == 0x05F3 || cp == 0x05F4 || In(cp, 0x0600, 0x060F) ||
        In(cp, 0x061B, 0x061F) || In(cp, 0x066A, 0x066D) || cp == 0x06D4 || cp == 0x0964 ||
        cp == 0x0965) {
      return C::kSeparator;
    }
    return C::kWord;
  }
  // Scripts written without spaces between words.
  if (In(cp, 0x0E00, 0x0EFF) || In(cp, 0x1000, 0x109F) || In(cp, 0x1100, 0x11FF) ||
      In(cp, 0x1780, 0x17FF)) {
    return C::kIdeographic;
  }
  if (cp < 0x2000) return C::kWord;
  if (cp < 0x2C00) return C::kSeparator;  // punctuation, symbols, arrows, dingbats, emoji
  if (cp < 0x2E00) return C::kWord;
  if (cp < 0x2E80) return C::kSeparator;
  if (cp < 0x2FF0) return C::kIdeographic;  // CJK radicals
  if (cp < 0x3000) return C::kSeparator;
  if (cp < 0x3040) return (In(cp, 0x3005, 0x3007)) ? C::kIdeographic : C::kSeparator;
  if (cp == 0x30FB) return C::kSeparator;   // katakana middle dot
  if (cp < 0x4DC0) return C::kIdeographic;  // kana, bopomofo, CJK compatibility, ext. A
  if (cp < 0x4E00) return C::kSeparator;    // hexagram symbols
  if (cp < 0xA4D0) return C::kIdeographic;  // CJK unified ideographs, Yi
  if (In(cp, 0xA960, 0xA97F)) return C::kIdeographic;
  if (cp < 0xAC00) return C::kWord;
  if (cp < 0xD800) return C::kIdeographic;  // Hangul
  if (cp < 0xF900) return C::kSeparator;    // surrogates, private use
  if (cp < 0xFB00) return C::kIdeographic;
  if (cp < 0xFE00) return C::kWord;
  if (cp < 0xFE70) return C::kSeparator;  // variation selectors, vertical and small forms
  if (cp < 0xFEFF) return C::kWord;
  if (In(cp, 0xFF10, 0xFF19) || In(cp, 0xFF21, 0xFF3A) || In(cp, 0xFF41, 0xFF5A)) return C::kWord;
  if (In(cp, 0xFF66, 0xFFDC)) return C::kIdeographic;  // halfwidth kana and Hangul
  if (cp < 0x10000) return C::kSeparator;
  if (In(cp, 0x1D000, 0x1D24F) || In(cp, 0x1F000, 0x1FAFF)) return C::kSeparator;
  if (cp < 0x20000) return C::kWord;
  if (cp < 0x40000) return C::kIdeographic;
  return C::kSeparator;
}

std::string FoldForMatch(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool last_space = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c > ' ' && c < 0x7F) {  // the common case: printable ASCII
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
      last_space = false;
      ++i;
      continue;
    }
    Decoded d = DecodeAt(text, i);
    i += d.len;
    if (IsIgnorable(d.cp)) continue;
    if (IsSpace(d.cp)) {
      if (!last_space) out.push_back(' ');
      last_space = true;
      continue;
    }
    last_space = false;
    text::AppendCodePoint(out, FoldCase(d.cp));
  }
  return out;
}

std::string NormalizeKeyword(std::string_view keyword) {
  std::string folded = FoldForMatch(keyword);
  std::size_t b = folded.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  std::size_t e = folded.find_last_not_of(' ');
  return folded.substr(b, e - b + 1);
}

bool OnWordBoundaries(std::string_view folded, std::size_t begin, std::size_t len) {
  if (len == 0 || begin + len > folded.size()) return false;
  if (Classify(DecodeAt(folded, begin).cp) == CharClass::kWord && begin > 0 &&
      Classify(DecodeBefore(folded, begin)) == CharClass::kWord) {
    return false;
  }
  const std::size_t end = begin + len;
  if (Classify(DecodeBefore(folded, end)) == CharClass::kWord && end < folded.size() &&
      Classify(DecodeAt(folded, end).cp) == CharClass::kWord) {
    return false;
  }
  return true;
}

bool ContainsKeyword(std::string_view folded, std::string_view keyword) {
  if (keyword.empty()) return false;
  for (std::size_t pos = folded.find(keyword); pos != std::string_view::npos;
       pos = folded.find(keyword, pos + 1)) {
    if (OnWordBoundaries(folded, pos, keyword.size())) return true;
  }
  return false;
}

}  // namespace duplex::routing
