// How long X considers a post: twitter-text's v3 weighting, which X applies to POST /2/tweets.
// Guarantees (pure, no allocation beyond the decoded text):
//  - Code points in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1,
//    every other code point 2; bytes that are not UTF-8 weigh 2 each.
//  - Every URL weighs 23, whatever its length: http(s) URLs and bare domains that X links
//    by itself (`example.com/path`), found as twitter-text's extractor finds them (the
//    character before the URL, domain labels of at most 63 characters after punycode,
//    path/query endings; a trailing `.` or `)` is not part of the URL).
//  - Every emoji sequence weighs 2 in all: ZWJ sequences (👨‍👩‍👧‍👦), flags
//  (🇯🇵),
//    subdivision flags, skin-tone modifiers (👍🏽), keycaps (1️⃣) and emoji with U+FE0F.
// Known differences from twitter-text, kept small and listed in docs/platforms/x.md:
//  - Text is not NFC-normalized first; decomposed text then counts longer, never shorter.
//  - Bare domains are recognized for two-letter TLDs and a list of common generic TLDs
//    (twitter-text carries IANA's whole list); with http(s):// any alphabetic TLD counts.
//  - Any Extended_Pictographic code point starts an emoji sequence, so a ZWJ or modifier
//    combination outside Unicode's recommended set counts 2 here (X may count it longer).
#pragma once

#include <cstddef>
#include <string_view>

namespace duplex {

std::size_t WeightedTweetLength(std::string_view text);

inline constexpr std::size_t kMaxTweetWeight = 280;
inline constexpr std::size_t kTweetUrlWeight = 23;

}  // namespace duplex
