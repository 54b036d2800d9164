#include "core/routing/router.h"

#include <algorithm>
#include <unordered_map>

#include "core/routing/regex_options.h"
#include "core/routing/text_match.h"

namespace duplex {

const char* ToString(RouteFilter filter) {
  switch (filter) {
    case RouteFilter::kDisabled:
      return "disabled";
    case RouteFilter::kPlatform:
      return "platform";
    case RouteFilter::kKind:
      return "kind";
    case RouteFilter::kMinFollowers:
      return "min_followers";
    case RouteFilter::kKeywords:
      return "keywords";
    case RouteFilter::kRegex:
      return "regex";
  }
  return "?";
}

Router::Router(std::vector<Route> routes, std::string default_channel)
    : routes_(std::move(routes)), default_channel_(std::move(default_channel)) {
  std::sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.name < b.name;
  });
  regexes_.resize(routes_.size());
  regex_errors_.resize(routes_.size());
  std::vector<std::string> keywords;
  std::unordered_map<std::string, std::uint32_t> keyword_ids;
  for (std::uint32_t rank = 0; rank < routes_.size(); ++rank) {
    Route& r = routes_[rank];
    // Normally a no-op (stored keywords are normalized); an empty result never matches.
    for (auto& k : r.keywords) k = routing::NormalizeKeyword(k);
    if (!r.regex.empty()) {
      auto re = std::make_unique<RE2>(r.regex, routing::RouteRegexOptions());
      if (re->ok()) {
        regexes_[rank] = std::move(re);
      } else {
        regex_errors_[rank] = re->error();
      }
    }
    if (!r.enabled) continue;
    if (r.keywords.empty()) {
      keywordless_.push_back(rank);
      continue;
    }
    for (const auto& k : r.keywords) {
      auto [it, added] = keyword_ids.emplace(k, static_cast<std::uint32_t>(keywords.size()));
      if (added) {
        keywords.push_back(k);
        keyword_routes_.emplace_back();
      }
      auto& ranks = keyword_routes_[it->second];
      if (ranks.empty() || ranks.back() != rank) ranks.push_back(rank);
    }
  }
  index_ = routing::KeywordIndex(keywords);
}

Router::~Router() = default;

bool Router::PassesNonKeywordFilters(std::size_t rank, const Mention& m) const {
  const Route& r = routes_[rank];
  if (!r.enabled) return false;
  if (!r.platforms.empty() && r.platforms.count(m.platform) == 0) return false;
  if (!r.kinds.empty() && r.kinds.count(m.kind) == 0) return false;
  if (r.min_followers && (!m.author.followers || *m.author.followers < *r.min_followers))
    return false;
  if (!r.regex.empty() && (!regexes_[rank] || !RE2::PartialMatch(m.text, *regexes_[rank])))
    return false;
  return true;
}

RouteDecision Router::Decide(const Mention& m) const {
  std::vector<std::uint32_t> candidates;
  if (!keyword_routes_.empty()) {
    std::vector<std::uint32_t> hits;
    index_.Find(routing::FoldForMatch(m.text), hits);
    for (std::uint32_t id : hits) {
      const auto& ranks = keyword_routes_[id];
      candidates.insert(candidates.end(), ranks.begin(), ranks.end());
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  }
  // Both lists are ascending ranks: walk them merged, so the first pass wins.
  auto a = candidates.begin();
  auto b = keywordless_.begin();
  while (a != candidates.end() || b != keywordless_.end()) {
    std::uint32_t rank;
    if (b == keywordless_.end() || (a != candidates.end() && *a < *b)) {
      rank = *a++;
    } else {
      rank = *b++;
    }
    if (PassesNonKeywordFilters(rank, m)) return {routes_[rank].channel, routes_[rank].name};
  }
  return {default_channel_, ""};
}

Explanation Router::Explain(const Mention& m) const {
  Explanation out;
  out.decision = {default_channel_, ""};
  const std::string folded = routing::FoldForMatch(m.text);
  bool decided = false;
  for (std::size_t rank = 0; rank < routes_.size(); ++rank) {
    const Route& r = routes_[rank];
    RouteVerdict v;
    v.route = &r;
    auto reject = [&v](RouteFilter f) { v.rejected_by.push_back(f); };
    if (!r.enabled) reject(RouteFilter::kDisabled);
    if (!r.platforms.empty() && r.platforms.count(m.platform) == 0) reject(RouteFilter::kPlatform);
    if (!r.kinds.empty() && r.kinds.count(m.kind) == 0) reject(RouteFilter::kKind);
    if (r.min_followers && (!m.author.followers || *m.author.followers < *r.min_followers)) {
      reject(RouteFilter::kMinFollowers);
    }
    if (!r.keywords.empty() &&
        std::none_of(r.keywords.begin(), r.keywords.end(),
                     [&](const std::string& k) { return routing::ContainsKeyword(folded, k); })) {
      reject(RouteFilter::kKeywords);
    }
    if (!r.regex.empty() && (!regexes_[rank] || !RE2::PartialMatch(m.text, *regexes_[rank]))) {
      reject(RouteFilter::kRegex);
    }
    if (v.rejected_by.empty() && !decided) {
      decided = true;
      v.won = true;
      out.decision = {r.channel, r.name};
    }
    out.verdicts.push_back(std::move(v));
  }
  return out;
}

std::shared_ptr<const Router> SharedRouter::Get() const {
  std::lock_guard lock(mu_);
  return current_;
}

void SharedRouter::Set(std::shared_ptr<const Router> next) {
  {
    std::lock_guard lock(mu_);
    current_.swap(next);
  }
  // `next` now holds the previous Router; it is released here, outside the lock.
}

}  // namespace duplex
