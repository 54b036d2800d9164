// twitter-text v3 weighting (config/v3.json, parseTweet and extractUrlsWithIndices), rewritten
// from its documented rules: walk the text; a URL entity adds 23, an emoji entity 2, anything
// else its code point's weight.
#include "platforms/x/x_text.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace duplex {
namespace {

using Text = std::vector<char32_t>;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

struct Range {
  char32_t first;
  char32_t last;
};

// Unicode 14 Extended_Pictographic (emoji-data.txt), the code points an emoji sequence is
// built from; listed with Perl's \p{Extended_Pictographic}.
constexpr Range kExtendedPictographic[] = {
    {0xA9, 0xA9},       {0xAE, 0xAE},       {0x203C, 0x203C},   {0x2049, 0x2049},
    {0x2122, 0x2122},   {0x2139, 0x2139},   {0x2194, 0x2199},   {0x21A9, 0x21AA},
    {0x231A, 0x231B},   {0x2328, 0x2328},   {0x2388, 0x2388},   {0x23CF, 0x23CF},
    {0x23E9, 0x23F3},   {0x23F8, 0x23FA},   {0x24C2, 0x24C2},   {0x25AA, 0x25AB},
    {0x25B6, 0x25B6},   {0x25C0, 0x25C0},   {0x25FB, 0x25FE},   {0x2600, 0x2605},
    {0x2607, 0x2612},   {0x2614, 0x2685},   {0x2690, 0x2705},   {0x2708, 0x2712},
    {0x2714, 0x2714},   {0x2716, 0x2716},   {0x271D, 0x271D},   {0x2721, 0x2721},
    {0x2728, 0x2728},   {0x2733, 0x2734},   {0x2744, 0x2744},   {0x2747, 0x2747},
    {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},
    {0x2763, 0x2767},   {0x2795, 0x2797},   {0x27A1, 0x27A1},   {0x27B0, 0x27B0},
    {0x27BF, 0x27BF},   {0x2934, 0x2935},   {0x2B05, 0x2B07},   {0x2B1B, 0x2B1C},
    {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x3030, 0x3030},   {0x303D, 0x303D},
    {0x3297, 0x3297},   {0x3299, 0x3299},   {0x1F000, 0x1F0FF}, {0x1F10D, 0x1F10F},
    {0x1F12F, 0x1F12F}, {0x1F16C, 0x1F171}, {0x1F17E, 0x1F17F}, {0x1F18E, 0x1F18E},
    {0x1F191, 0x1F19A}, {0x1F1AD, 0x1F1E5}, {0x1F201, 0x1F20F}, {0x1F21A, 0x1F21A},
    {0x1F22F, 0x1F22F}, {0x1F232, 0x1F23A}, {0x1F23C, 0x1F23F}, {0x1F249, 0x1F3FA},
    {0x1F400, 0x1F53D}, {0x1F546, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F774, 0x1F77F},
    {0x1F7D5, 0x1F7FF}, {0x1F80C, 0x1F80F}, {0x1F848, 0x1F84F}, {0x1F85A, 0x1F85F},
    {0x1F888, 0x1F88F}, {0x1F8AE, 0x1F8FF}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
    {0x1F947, 0x1FAFF}, {0x1FC00, 0x1FFFD},
};

// Generic TLDs recognized without http(s):// (two-letter country TLDs always are): the
// legacy ones and the new ones people commonly write.
constexpr const char* kGenericTlds[] = {
    "aero", "app",    "art",     "asia",    "biz",   "blog",   "cloud", "club",  "com",
    "coop", "dev",    "digital", "edu",     "email", "gov",    "info",  "int",   "jobs",
    "link", "live",   "media",   "mil",     "mobi",  "museum", "name",  "net",   "news",
    "one",  "online", "org",     "page",    "pro",   "shop",   "site",  "store", "tech",
    "tel",  "today",  "travel",  "website", "world", "xyz",
};

// Labels beyond this many characters from a URL's start are not looked at: it bounds the work
// per candidate to keep long replies linear, and DNS names are at most 253 characters.
constexpr std::size_t kMaxDomainScan = 256;
constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxUrlLength = 4096;

Text Decode(std::string_view s) {
  Text out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80             ? 1
                            : (c & 0xE0) == 0xC0 ? 2
                            : (c & 0xF0) == 0xE0 ? 3
                            : (c & 0xF8) == 0xF0 ? 4
                                                 : 0;
    bool ok = len != 0 && i + len <= s.size();
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      ok = (b & 0xC0) == 0x80;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);  // weighs 2, like every code point outside the light ranges
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

bool IsLight(char32_t c) {
  return c <= 4351 || (c >= 8192 && c <= 8205) || (c >= 8208 && c <= 8223) ||
         (c >= 8242 && c <= 8247);
}

bool IsExtendedPictographic(char32_t c) {
  const Range* end = std::end(kExtendedPictographic);
  const Range* it = std::upper_bound(std::begin(kExtendedPictographic), end, c,
                                     [](char32_t v, const Range& r) { return v < r.first; });
  return it != std::begin(kExtendedPictographic) && c <= (it - 1)->last;
}

bool IsAsciiAlpha(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsAsciiDigit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool IsAsciiAlnum(char32_t c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c);
}
bool OneOf(char32_t c, const char* set) {
  return c != 0 && c < 0x80 && std::strchr(set, static_cast<int>(c));
}

bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         c == 0x180E || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}
bool IsInvalid(char32_t c) {
  return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF;
}
bool IsDirectional(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x2066 && c <= 0x2069);
}
bool IsLatinAccent(char32_t c) {
  return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x24F) ||
         c == 0x253 || c == 0x254 || c == 0x256 || c == 0x257 || c == 0x259 || c == 0x25B ||
         c == 0x263 || c == 0x268 || c == 0x26F || c == 0x272 || c == 0x289 || c == 0x28B ||
         c == 0x2BB || (c >= 0x300 && c <= 0x36F) || (c >= 0x1E00 && c <= 0x1EFF);
}
bool IsCyrillic(char32_t c) {
  return c >= 0x400 && c <= 0x4FF;
}

// Any character but ASCII punctuation, spaces, invalid and directional characters.
bool IsDomainChar(char32_t c) {
  return !OneOf(c, "!'#%&()*+,\\-./:;<=>?@[]^_{|}~$") && !IsSpace(c) && !IsInvalid(c) &&
         !IsDirectional(c);
}
// A bare domain (no http(s)://) must be ASCII, with Latin accents allowed.
bool IsBareLabelChar(char32_t c) {
  return IsAsciiAlnum(c) || c == '-' || IsLatinAccent(c);
}

bool IsUrlPrecedingChar(char32_t c) {
  if (IsDirectional(c)) return true;
  return !IsAsciiAlnum(c) && !OneOf(c, "@$#") && c != 0xFF20 && c != 0xFF03 && !IsInvalid(c);
}
bool EndsTld(const Text& t, std::size_t i) {
  return i >= t.size() || !(IsAsciiAlnum(t[i]) || OneOf(t[i], "@+-"));
}

bool IsPathChar(char32_t c) {
  return IsAsciiAlnum(c) || IsCyrillic(c) || IsLatinAccent(c) || c == 0x2013 ||
         OneOf(c, "!*';:=+,.$/%#[]-_~@|&");
}
bool IsPathEndChar(char32_t c) {
  return IsAsciiAlnum(c) || IsCyrillic(c) || IsLatinAccent(c) || OneOf(c, "+-=_#/");
}
bool IsQueryChar(char32_t c) {
  return IsAsciiAlnum(c) || OneOf(c, "!?*'@();:&=+$/%#[]-_.,~|");
}
bool IsQueryEndChar(char32_t c) {
  return IsAsciiAlnum(c) || OneOf(c, "-_&=#/");
}

bool StartsWithLower(const Text& t, std::size_t i, const char* ascii) {
  for (std::size_t k = 0; ascii[k] != '\0'; ++k) {
    if (i + k >= t.size()) return false;
    char32_t c = t[i + k];
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    if (c != static_cast<unsigned char>(ascii[k])) return false;
  }
  return true;
}

bool IsGenericTld(const Text& t, std::size_t begin, std::size_t end) {
  std::string tld;
  for (std::size_t i = begin; i < end; ++i) {
    tld.push_back(static_cast<char>(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + ('a' - 'A') : t[i]));
  }
  return std::any_of(std::begin(kGenericTlds), std::end(kGenericTlds),
                     [&](const char* g) { return tld == g; });
}

// Where a top-level domain starting at `i` (within a label ending at `end`) ends, or kNone.
std::size_t TldEnd(const Text& t, std::size_t i, std::size_t end, bool with_protocol) {
  std::size_t j = i;
  if (StartsWithLower(t, i, "xn--")) {
    for (j = i + 4; j < end && (IsAsciiAlnum(t[j]) || t[j] == '-');) ++j;
    return j > i + 4 ? j : kNone;
  }
  while (j < end && IsAsciiAlpha(t[j])) ++j;
  if (j > i) {
    if (j - i < 2 || !EndsTld(t, j)) return kNone;
    return with_protocol || j - i == 2 || IsGenericTld(t, i, j) ? j : kNone;
  }
  // An internationalized TLD (.中国, .پاکستان) after http(s)://.
  while (with_protocol && j < end && t[j] >= 0x80) ++j;
  return j > i && EndsTld(t, j) ? j : kNone;
}

// Length of the ASCII form of a label: itself, or "xn--" + RFC 3492 punycode.
std::size_t AsciiLabelLength(const Text& t, std::size_t begin, std::size_t end) {
  const std::size_t n = end - begin;
  std::size_t basic = 0;
  for (std::size_t i = begin; i < end; ++i) basic += t[i] < 0x80 ? 1 : 0;
  if (basic == n) return n;
  // Every code point costs at least one output character: long labels need no encoding.
  if (n > kMaxLabelLength) return n + 4;
  constexpr std::uint64_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
  auto adapt = [&](std::uint64_t delta, std::uint64_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    std::uint64_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
      delta /= kBase - kTMin;
      k += kBase;
    }
    return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
  };
  std::size_t out = 4 + basic + (basic > 0 ? 1 : 0);
  std::uint64_t code = 128, delta = 0, bias = 72, handled = basic;
  while (handled < n) {
    std::uint64_t next = UINT32_MAX;
    for (std::size_t i = begin; i < end; ++i) {
      if (t[i] >= code) next = std::min<std::uint64_t>(next, t[i]);
    }
    delta += (next - code) * (handled + 1);
    code = next;
    for (std::size_t i = begin; i < end; ++i) {
      if (t[i] < code) ++delta;
      if (t[i] != code) continue;
      std::uint64_t q = delta;
      for (std::uint64_t k = kBase;; k += kBase) {
        const std::uint64_t th = k <= bias ? kTMin : k >= bias + kTMax ? kTMax : k - bias;
        if (q < th) break;
        ++out;
        q = (q - th) / (kBase - th);
      }
      ++out;
      bias = adapt(delta, handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++code;
  }
  return out;
}

struct UrlMatch {
  std::size_t end = kNone;  // kNone: no URL starts here
  bool valid = false;       // a match that X would not link is plain text
};

using Labels = std::vector<std::pair<std::size_t, std::size_t>>;  // [begin, end) of each

// The domain starting at `i`: the longest run of dot-separated labels whose last one starts
// with a TLD; validity is each label's length in ASCII form (IDNA allows 63). `labels` is
// scratch space, reused across calls.
UrlMatch MatchDomain(const Text& t, std::size_t i, bool with_protocol, Labels& labels) {
  auto inside = [&](char32_t c) {
    return with_protocol ? IsDomainChar(c) || c == '-' || c == '_' : IsBareLabelChar(c);
  };
  auto first = [&](char32_t c) {
    return with_protocol ? IsDomainChar(c) : IsBareLabelChar(c) && c != '-';
  };
  const std::size_t limit = std::min(t.size(), i + kMaxDomainScan);
  labels.clear();
  for (std::size_t pos = i; pos < limit && first(t[pos]);) {
    std::size_t j = pos + 1;
    while (j < limit && inside(t[j])) ++j;
    while (t[j - 1] == '-' || t[j - 1] == '_') --j;  // a label ends on a letter or digit
    labels.emplace_back(pos, j);
    if (j + 1 >= limit || t[j] != '.') break;
    pos = j + 1;
  }
  UrlMatch m;
  for (std::size_t k = labels.size(); k-- > 1;) {
    const std::size_t tld_end = TldEnd(t, labels[k].first, labels[k].second, with_protocol);
    if (tld_end == kNone) continue;
    m.end = tld_end;
    m.valid = true;
    for (std::size_t l = 0; l <= k && m.valid; ++l) {
      const std::size_t len =
          AsciiLabelLength(t, labels[l].first, l == k ? tld_end : labels[l].second);
      m.valid = len <= kMaxLabelLength;
    }
    return m;
  }
  return m;
}

// The end of a path after its "/": the longest run of path characters and balanced
// parentheses (one level of nesting) that ends on a path-ending character.
std::size_t PathEnd(const Text& t, std::size_t i) {
  auto run = [&](std::size_t j) {
    while (j < t.size() && IsPathChar(t[j])) ++j;
    return j;
  };
  auto parens = [&](std::size_t j) -> std::size_t {  // t[j] == '('; end after ')' or kNone
    std::size_t k = run(j + 1);
    if (k < t.size() && t[k] == ')' && k > j + 1) return k + 1;
    if (k >= t.size() || t[k] != '(') return kNone;
    const std::size_t inner = run(k + 1);
    if (inner == k + 1 || inner >= t.size() || t[inner] != ')') return kNone;
    k = run(inner + 1);
    return k < t.size() && t[k] == ')' ? k + 1 : kNone;
  };
  std::size_t end = i;
  for (std::size_t j = i; j < t.size();) {
    if (t[j] == '(') {
      const std::size_t after = parens(j);
      if (after == kNone) break;
      end = j = after;
    } else if (IsPathChar(t[j])) {
      if (IsPathEndChar(t[j])) end = j + 1;
      ++j;
    } else {
      break;
    }
  }
  return end;
}

UrlMatch MatchUrl(const Text& t, std::size_t i, Labels& labels) {
  const std::size_t protocol = StartsWithLower(t, i, "https://")  ? 8
                               : StartsWithLower(t, i, "http://") ? 7
                                                                  : 0;
  UrlMatch m = MatchDomain(t, i + protocol, protocol != 0, labels);
  if (m.end == kNone) return m;
  std::size_t e = m.end;
  if (e + 1 < t.size() && t[e] == ':' && IsAsciiDigit(t[e + 1])) {
    for (++e; e < t.size() && IsAsciiDigit(t[e]);) ++e;
  }
  if (e < t.size() && t[e] == '/') e = PathEnd(t, e + 1);
  if (e < t.size() && t[e] == '?') {
    std::size_t query_end = kNone;
    for (std::size_t j = e + 1; j < t.size() && IsQueryChar(t[j]); ++j) {
      if (IsQueryEndChar(t[j])) query_end = j + 1;
    }
    if (query_end != kNone) e = query_end;
  }
  m.end = e;
  // A bare domain right after "-", "_", "." or "/" is part of something else.
  if (protocol == 0 && i > 0 && OneOf(t[i - 1], "-_./")) m.valid = false;
  if (e - i + (protocol == 0 ? 8 : 0) > kMaxUrlLength) m.valid = false;
  return m;
}

// Code points taken by the emoji element at `i` (an emoji with its presentation selector,
// skin tone or tags; a keycap; a flag), 0 when none starts there.
std::size_t EmojiElement(const Text& t, std::size_t i) {
  auto at = [&](std::size_t k) -> char32_t { return k < t.size() ? t[k] : 0; };
  const char32_t c = t[i];
  if (IsAsciiDigit(c) || c == '#' || c == '*') {
    const std::size_t j = at(i + 1) == 0xFE0F ? i + 2 : i + 1;
    return at(j) == 0x20E3 ? j + 1 - i : 0;
  }
  auto regional = [](char32_t v) { return v >= 0x1F1E6 && v <= 0x1F1FF; };
  if (regional(c)) return regional(at(i + 1)) ? 2 : 0;
  // © and ® are text unless asked to be emoji.
  if (c == 0xA9 || c == 0xAE) return at(i + 1) == 0xFE0F ? 2 : 0;
  if (!IsExtendedPictographic(c)) return 0;
  std::size_t j = i + 1;
  if (at(j) == 0xFE0F || (at(j) >= 0x1F3FB && at(j) <= 0x1F3FF)) ++j;
  std::size_t tags = j;
  while (at(tags) >= 0xE0020 && at(tags) <= 0xE007E) ++tags;
  if (tags > j && at(tags) == 0xE007F) j = tags + 1;
  return j - i;
}

std::size_t EmojiSequence(const Text& t, std::size_t i) {
  std::size_t len = EmojiElement(t, i);
  if (len == 0) return 0;
  std::size_t j = i + len;
  while (j + 1 < t.size() && t[j] == 0x200D) {
    const std::size_t next = EmojiElement(t, j + 1);
    if (next == 0) break;
    j += 1 + next;
  }
  return j - i;
}

}  // namespace

std::size_t WeightedTweetLength(std::string_view text) {
  const Text t = Decode(text);
  std::size_t weight = 0;
  // Like twitter-text's global regex search: a URL needs its preceding character, and the
  // search resumes after each URL it found, linked or not.
  std::size_t resume = 0;
  Labels labels;
  for (std::size_t i = 0; i < t.size();) {
    if (i >= resume && (i == 0 || (i - 1 >= resume && IsUrlPrecedingChar(t[i - 1])))) {
      const UrlMatch url = MatchUrl(t, i, labels);
      if (url.end != kNone) {
        resume = url.end;
        if (url.valid) {
          weight += kTweetUrlWeight;
          i = url.end;
          continue;
        }
      }
    }
    if (const std::size_t emoji = EmojiSequence(t, i); emoji > 0) {
      weight += 2;
      i += emoji;
      continue;
    }
    weight += IsLight(t[i]) ? 1 : 2;
    ++i;
  }
  return weight;
}

}  // namespace duplex
