// Router: chooses the chat channel for a mention from a set of routes, after the webhook is
// verified, parsed and deduplicated and before the mention is committed.
// Guarantees:
// - Route() returns the enabled route with the lowest (priority, name) whose filters all
//   match, or the default channel with an empty route name when none does.
// - Route() costs one pass of an Aho–Corasick index over the text plus the filter checks of
//   the candidate routes (those with a keyword found, and those without keywords) in
//   priority order; it never tries every route's keywords one by one.
// - Explain() gives the same decision, with a verdict for every route (for `route test`).
// - A Router is immutable once built: share it between threads through SharedRouter.
// - A stored regex that RE2 no longer accepts does not stop the others: that route never
//   matches and Explain says why.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/mention.h"
#include "core/routing/keyword_index.h"
#include "core/routing/route.h"

namespace re2 {
class RE2;
}

namespace duplex {

struct RouteDecision {
  std::string channel;
  std::string route;  // empty: no route matched, the default channel
};

// Filters in the order Explain reports them; the names are the `route add` keys.
enum class RouteFilter { kDisabled, kPlatform, kKind, kMinFollowers, kKeywords, kRegex };
const char* ToString(RouteFilter filter);

struct RouteVerdict {
  const Route* route = nullptr;          // owned by the Router
  std::vector<RouteFilter> rejected_by;  // empty: every filter matched
  bool won = false;
};

struct Explanation {
  RouteDecision decision;
  std::vector<RouteVerdict> verdicts;  // every route, in evaluation order
};

class Router {
 public:
  Router(std::vector<Route> routes, std::string default_channel);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  RouteDecision Decide(const Mention& mention) const;
  Explanation Explain(const Mention& mention) const;

  // In evaluation order: priority, then name.
  const std::vector<Route>& routes() const { return routes_; }
  const std::string& default_channel() const { return default_channel_; }
  // Why a route's stored regex does not compile; empty when it does.
  const std::string& RegexError(std::size_t rank) const { return regex_errors_[rank]; }

 private:
  bool PassesNonKeywordFilters(std::size_t rank, const Mention& m) const;

  std::vector<Route> routes_;
  std::string default_channel_;
  std::vector<std::unique_ptr<re2::RE2>> regexes_;  // per rank; null without a regex
  std::vector<std::string> regex_errors_;
  routing::KeywordIndex index_;
  std::vector<std::vector<std::uint32_t>> keyword_routes_;  // keyword id → ranks, ascending
  std::vector<std::uint32_t> keywordless_;                  // enabled ranks without keywords
};

// The current Router, swapped whole when routes change: readers take a snapshot under a
// short lock and never wait for a rebuild; a rebuild happens outside the lock.
class SharedRouter {
 public:
  explicit SharedRouter(std::shared_ptr<const Router> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const Router> Get() const;
  void Set(std::shared_ptr<const Router> next);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Router> current_;
};

}  // namespace duplex
