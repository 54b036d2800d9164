// KeywordIndex (Aho–Corasick) against the naive matcher on random inputs, and the Router's
// indexed decision against a route-by-route reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "core/routing/keyword_index.h"
#include "core/routing/router.h"
#include "core/routing/text_match.h"

namespace duplex {
namespace {

// Pieces chosen to collide: shared prefixes and suffixes, multi-byte letters, separators,
// ideographs, emoji, and bytes that are not valid UTF-8.
const std::vector<std::string> kPieces = {
    "a",  "b",  "ab",   "ba",           "aa",   "é",    "É", "ö", " ",   "  ",  "-",   "_", "!",
    "退", "款", "🙂", "\xE2\x80\x8D", "\xFF", "\xC3", "1", "z", "ref", "und", "réf", "и", "Й"};

std::string RandomText(std::mt19937& rng, int max_pieces) {
  std::uniform_int_distribution<int> count(0, max_pieces);
  std::uniform_int_distribution<std::size_t> pick(0, kPieces.size() - 1);
  std::string s;
  for (int n = count(rng); n > 0; --n) s += kPieces[pick(rng)];
  return s;
}

std::vector<std::uint32_t> NaiveFind(const std::vector<std::string>& keywords,
                                     const std::string& folded) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < keywords.size(); ++i) {
    if (routing::ContainsKeyword(folded, keywords[i])) out.push_back(i);
  }
  return out;
}

// The reference router: every route, every filter, in (priority, name) order.
std::string NaiveDecide(std::vector<Route> routes, const Mention& m) {
  std::sort(routes.begin(), routes.end(), [](const Route& a, const Route& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.name < b.name;
  });
  const std::string folded = routing::FoldForMatch(m.text);
  for (const auto& r : routes) {
    if (!r.enabled) continue;
    if (!r.platforms.empty() && !r.platforms.count(m.platform)) continue;
    if (!r.kinds.empty() && !r.kinds.count(m.kind)) continue;
    if (r.min_followers && (!m.author.followers || *m.author.followers < *r.min_followers))
      continue;
    if (!r.keywords.empty() &&
        std::none_of(r.keywords.begin(), r.keywords.end(),
                     [&](const std::string& k) { return routing::ContainsKeyword(folded, k); })) {
      continue;
    }
    return r.name;
  }
  return "";
}

}  // namespace

TEST_CASE("the Aho–Corasick index finds exactly what the naive matcher finds (random inputs)") {
  std::mt19937 rng(20240501);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> keywords;
    std::uniform_int_distribution<int> nk(0, 30);
    for (int k = nk(rng); k > 0; --k)
      keywords.push_back(routing::NormalizeKeyword(RandomText(rng, 3)));
    routing::KeywordIndex index(keywords);
    std::vector<std::uint32_t> found;
    for (int t = 0; t < 20; ++t) {
      const std::string folded = routing::FoldForMatch(RandomText(rng, 25));
      index.Find(folded, found);
      INFO("round " << round << " text '" << folded << "'");
      CHECK(found == NaiveFind(keywords, folded));
    }
  }
}

TEST_CASE("the index handles keywords that are prefixes, suffixes and repeats of each other") {
  std::vector<std::string> keywords = {"he", "she", "his", "hers", "she", "", "s"};
  routing::KeywordIndex index(keywords);
  CHECK(index.keyword_count() == 7);
  std::vector<std::uint32_t> found;
  index.Find("ushers", found);
  CHECK(found.empty());  // all inside a word
  index.Find("u she hers he s", found);
  CHECK(found == std::vector<std::uint32_t>{0, 1, 3, 4, 6});
  index.Find("", found);
  CHECK(found.empty());
  routing::KeywordIndex none;
  none.Find("anything", found);
  CHECK(found.empty());
}

TEST_CASE("indexed routing decides like trying every route (random route sets)") {
  std::mt19937 rng(7);
  const std::vector<std::string> platforms = {"x", "meta", "generic"};
  std::uniform_int_distribution<int> coin(0, 3);
  for (int round = 0; round < 200; ++round) {
    std::vector<Route> routes;
    std::uniform_int_distribution<int> nroutes(0, 25);
    for (int i = nroutes(rng); i > 0; --i) {
      Route r;
      r.name = "r" + std::to_string(i);
      r.channel = "C" + std::to_string(i);
      r.priority = std::uniform_int_distribution<int>(0, 5)(rng);
      r.enabled = coin(rng) != 0;
      if (coin(rng) == 0) r.platforms = {platforms[static_cast<std::size_t>(coin(rng)) % 3]};
      if (coin(rng) == 0) r.kinds = {static_cast<MentionKind>(coin(rng))};
      if (coin(rng) == 0) r.min_followers = coin(rng) * 100;
      if (coin(rng) != 0) {
        for (int k = 1 + coin(rng); k > 0; --k) {
          std::string kw = routing::NormalizeKeyword(RandomText(rng, 2));
          if (!kw.empty()) r.keywords.push_back(kw);
        }
      }
      routes.push_back(r);
    }
    Router router(routes, "CD");
    for (int t = 0; t < 20; ++t) {
      Mention m;
      m.platform = platforms[static_cast<std::size_t>(coin(rng)) % 3];
      m.kind = static_cast<MentionKind>(coin(rng));
      if (coin(rng) != 0) m.author.followers = coin(rng) * 100;
      m.text = RandomText(rng, 20);
      const std::string expected = NaiveDecide(routes, m);
      CHECK(router.Decide(m).route == expected);
      CHECK(router.Explain(m).decision.route == expected);
    }
  }
}

}  // namespace duplex
