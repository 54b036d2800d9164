#include "commands/route_commands.h"

#include <algorithm>
#include <set>

#include "commands/command_helpers.h"
#include "core/log.h"
#include "core/routing/text_match.h"
#include "core/text.h"

namespace duplex {
namespace {

using namespace commands;  // NOLINT: the module's own helpers

constexpr const char* kRouteAddUsage =
    "route add <name> channel=<#chan> [platform=x,meta,…] [kind=direct,mention,comment,dm] "
    "[keywords=a,b] [regex=<re>] [min_followers=N] [priority=N]";
constexpr const char* kRouteListUsage = "route list";
constexpr const char* kRouteRmUsage = "route rm <name>";
constexpr const char* kRouteToggleUsage = "route enable|disable <name>";
constexpr const char* kRouteTestUsage = "route test <platform> <kind> [followers=N] <text>";

constexpr int kDefaultPriority = 100;
constexpr std::size_t kListedRoutes = 50;
constexpr std::size_t kExplainedRoutes = 15;
constexpr std::size_t kShownKeywords = 8;

std::string DescribeRoute(const Route& r, const ChatDialect& d) {
  std::string out =
      "`" + r.name + "` → " + d.Channel(r.channel) + " · priority " + std::to_string(r.priority);
  if (!r.platforms.empty())
    out += " · platform " + Join({r.platforms.begin(), r.platforms.end()}, ", ");
  if (!r.kinds.empty()) {
    std::vector<std::string> kinds;
    for (MentionKind k : r.kinds) kinds.emplace_back(ToString(k));
    out += " · kind " + Join(kinds, ", ");
  }
  if (!r.keywords.empty()) {
    std::vector<std::string> shown;
    for (std::size_t i = 0; i < r.keywords.size() && i < kShownKeywords; ++i) {
      shown.push_back("\"" + d.Escape(r.keywords[i]) + "\"");
    }
    out += " · keywords " + Join(shown, ", ");
    if (r.keywords.size() > kShownKeywords) {
      out += " and " + std::to_string(r.keywords.size() - kShownKeywords) + " more";
    }
  }
  if (!r.regex.empty()) out += " · regex " + Code(d, r.regex);
  if (r.min_followers) out += " · min_followers " + text::FormatThousands(*r.min_followers);
  if (!r.enabled) out += " · *disabled*";
  return out;
}

// Empty on success, else a warning line for the answer: the change is saved either way.
std::string ReloadRoutes(CommandDeps& deps) {
  if (!deps.reload_routes) return {};
  Status s = deps.reload_routes();
  if (s.ok()) return {};
  log::Error("routes changed but could not be reloaded", {{"error", s.message()}});
  return "\nWarning: the change is saved, but routing could not reload it (" + s.message() +
         "); it takes effect at the next route change or restart.";
}

Status ParseKind(const std::string& raw, MentionKind& out) {
  auto kind = ParseMentionKind(Lower(raw));
  if (!kind)
    return Status::Invalid("Unknown kind " + Quote(raw) + ". Kinds: direct, mention, comment, dm.");
  out = *kind;
  return Status::Ok();
}

Status ParseRouteValue(const std::string& key, const std::string& value,
                       const std::vector<std::string>& known_platforms, const ChatDialect& dialect,
                       Route& r) {
  if (key == "channel") {
    r.channel = ParseChannelRef(value);
    if (r.channel.empty()) {
      return Status::Invalid(Quote(value) + " is not a channel: pick one with #, or give its id.");
    }
  } else if (key == "platform") {
    for (const auto& item : text::Split(value, ',')) {
      if (text::Trim(item).empty()) continue;
      std::string name;
      if (Status s = ParsePlatform(item, known_platforms, name); !s.ok()) return s;
      r.platforms.insert(name);
    }
    if (r.platforms.empty()) return Status::Invalid("platform= needs at least one platform.");
  } else if (key == "kind") {
    for (const auto& item : text::Split(value, ',')) {
      if (text::Trim(item).empty()) continue;
      MentionKind kind;
      if (Status s = ParseKind(item, kind); !s.ok()) return s;
      r.kinds.insert(kind);
    }
    if (r.kinds.empty()) return Status::Invalid("kind= needs at least one kind.");
  } else if (key == "keywords") {
    for (const auto& item : text::Split(dialect.ToPlain(value), ',')) {
      std::string k = routing::NormalizeKeyword(item);
      if (!k.empty() && std::find(r.keywords.begin(), r.keywords.end(), k) == r.keywords.end()) {
        r.keywords.push_back(std::move(k));
      }
    }
    if (r.keywords.empty()) return Status::Invalid("keywords= needs at least one keyword.");
  } else if (key == "regex") {
    r.regex = dialect.ToPlain(value);
    if (Status s = CheckRouteRegex(r.regex); !s.ok()) return Status::Invalid(s.message() + ".");
  } else if (key == "min_followers") {
    r.min_followers = ParseCount(value);
    if (!r.min_followers) {
      return Status::Invalid("min_followers must be a whole number of followers, like 10000.");
    }
  } else if (key == "priority") {
    auto p = ParseCount(value);
    if (!p || *p > kMaxRoutePriority) {
      return Status::Invalid("priority must be a whole number from 0 to " +
                             text::FormatThousands(kMaxRoutePriority) + " (the lowest wins).");
    }
    r.priority = static_cast<int>(*p);
  }
  return Status::Ok();
}

CommandAnswer RouteUsages(const std::string& problem) {
  return Fail(problem + "\nUsage:\n`/duplex " + kRouteAddUsage + "`\n`/duplex " + kRouteListUsage +
              "`\n`/duplex " + kRouteRmUsage + "`\n`/duplex " + kRouteToggleUsage + "`\n`/duplex " +
              kRouteTestUsage + "`");
}

CommandAnswer RouteAdd(CommandService& svc, const ParsedCommand& cmd) {
  auto& deps = svc.deps();
  if (cmd.args.size() < 2) return UsageFail("Give the route a name and a channel.", kRouteAddUsage);
  auto route = ParseRouteSpec(std::string_view(cmd.raw).substr(cmd.args[1].begin),
                              KnownPlatformNames(), *svc.deps().dialect);
  if (!route.ok()) return UsageFail(deps.dialect->Escape(route.status().message()), kRouteAddUsage);
  auto replaced = deps.store->PutRoute(*route, deps.clock->NowMs());
  if (!replaced.ok()) return Unavailable();
  return Answer(std::string(*replaced ? "Replaced" : "Created") + " route " +
                DescribeRoute(*route, *deps.dialect) +
                ".\nIt applies to new conversations; existing ones stay in their threads." +
                ReloadRoutes(deps));
}

CommandAnswer RouteList(CommandService& svc) {
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  auto routes = deps.store->ListRoutes();
  if (!routes.ok()) return Unavailable();
  const std::string fallback =
      "Anything else → " + d.Channel(deps.default_channel) + " (the default channel).";
  if (routes->empty()) {
    return Answer("No routes yet: every mention goes to " + d.Channel(deps.default_channel) +
                  ". Add one with `/duplex " + kRouteAddUsage + "`.");
  }
  std::sort(routes->begin(), routes->end(), [](const Route& a, const Route& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.name < b.name;
  });
  std::string out = "Routes, in the order they are tried (" + std::to_string(routes->size()) + "):";
  for (std::size_t i = 0; i < routes->size() && i < kListedRoutes; ++i) {
    out += "\n" + std::to_string(i + 1) + ". " + DescribeRoute((*routes)[i], d);
  }
  if (routes->size() > kListedRoutes) {
    out += "\n… and " + std::to_string(routes->size() - kListedRoutes) + " more.";
  }
  return Answer(out + "\n" + fallback);
}

CommandAnswer RouteChange(CommandService& svc, const ParsedCommand& cmd, const std::string& sub) {
  auto& deps = svc.deps();
  const char* usage = sub == "rm" ? kRouteRmUsage : kRouteToggleUsage;
  if (cmd.args.size() != 2) return UsageFail("Give exactly one route name.", usage);
  const std::string name = NormalizeRouteName(cmd.args[1].value);
  if (name.empty()) {
    return UsageFail(
        deps.dialect->Code(text::TruncateUtf8(cmd.args[1].value, 40)) + " is not a route name.",
        usage);
  }
  Result<bool> changed =
      sub == "rm" ? deps.store->DeleteRoute(name)
                  : deps.store->SetRouteEnabled(name, sub == "enable", deps.clock->NowMs());
  if (!changed.ok()) return Unavailable();
  if (!*changed) return Fail("There is no route `" + name + "`. `/duplex route list` shows them.");
  std::string done = sub == "rm" ? "Removed route `" + name + "`."
                     : sub == "enable"
                         ? "Enabled route `" + name + "`."
                         : "Disabled route `" + name + "`: it matches nothing until enabled again.";
  return Answer(done + " Existing conversations stay in their threads." + ReloadRoutes(deps));
}

std::string RejectionDetail(const Router& router, std::size_t rank, RouteFilter f, const Mention& m,
                            const ChatDialect& d) {
  const Route& r = router.routes()[rank];
  switch (f) {
    case RouteFilter::kDisabled:
      return "disabled";
    case RouteFilter::kPlatform:
      return "platform (" + m.platform + " is not " +
             Join({r.platforms.begin(), r.platforms.end()}, " or ") + ")";
    case RouteFilter::kKind: {
      std::vector<std::string> kinds;
      for (MentionKind k : r.kinds) kinds.emplace_back(ToString(k));
      return std::string("kind (") + ToString(m.kind) + " is not " + Join(kinds, " or ") + ")";
    }
    case RouteFilter::kMinFollowers:
      return "min_followers (needs " + text::FormatThousands(*r.min_followers) +
             ", the author has " +
             (m.author.followers ? text::FormatThousands(*m.author.followers)
                                 : std::string("an unknown number")) +
             ")";
    case RouteFilter::kKeywords: {
      std::vector<std::string> shown;
      for (std::size_t i = 0; i < r.keywords.size() && i < 5; ++i)
        shown.push_back("\"" + d.Escape(r.keywords[i]) + "\"");
      return "keywords (" + Join(shown, ", ") + (r.keywords.size() > 5 ? ", …" : "") +
             " not found)";
    }
    case RouteFilter::kRegex:
      return router.RegexError(rank).empty()
                 ? "regex (no match)"
                 : "regex (invalid: " + d.Escape(router.RegexError(rank)) + ")";
  }
  return ToString(f);
}

CommandAnswer RouteTest(CommandService& svc, const ParsedCommand& cmd) {
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  if (cmd.args.size() < 4)
    return UsageFail("Give a platform, a kind and the text to try.", kRouteTestUsage);
  Mention m;
  if (Status s = ParsePlatform(cmd.args[1].value, KnownPlatformNames(), m.platform); !s.ok()) {
    return UsageFail(d.Escape(s.message()), kRouteTestUsage);
  }
  if (Status s = ParseKind(cmd.args[2].value, m.kind); !s.ok())
    return UsageFail(d.Escape(s.message()), kRouteTestUsage);
  std::size_t text_at = 3;
  if (text::StartsWith(Lower(cmd.args[3].value), "followers=")) {
    m.author.followers = ParseCount(cmd.args[3].value.substr(10));
    if (!m.author.followers)
      return UsageFail("followers must be a whole number, like 5000.", kRouteTestUsage);
    text_at = 4;
  }
  m.text = svc.deps().dialect->ToPlain(cmd.RestFrom(text_at));
  if (m.text.empty()) return UsageFail("What text should be tried?", kRouteTestUsage);
  std::shared_ptr<const Router> router = deps.router ? deps.router() : nullptr;
  if (!router) return Fail("Routing is not available in this duplex.");

  Explanation e = router->Explain(m);
  std::string who =
      m.author.followers
          ? "an author with " + text::FormatThousands(*m.author.followers) + " followers"
          : "an author whose followers are unknown";
  std::string out = "A " + m.platform + " " + ToString(m.kind) + " from " + who + " would go to " +
                    d.Channel(e.decision.channel) +
                    (e.decision.route.empty() ? " (the default channel): no route matched."
                                              : " by route `" + e.decision.route + "`.");
  std::size_t shown = 0, hidden = 0;
  for (std::size_t rank = 0; rank < e.verdicts.size(); ++rank) {
    const RouteVerdict& v = e.verdicts[rank];
    if (shown >= kExplainedRoutes && !v.won) {
      ++hidden;
      continue;
    }
    ++shown;
    std::string line = "\n• `" + v.route->name + "` (priority " +
                       std::to_string(v.route->priority) + ") → " + d.Channel(v.route->channel) +
                       ": ";
    if (v.won) {
      line += "every filter matched; it wins.";
    } else if (v.rejected_by.empty()) {
      line += "matched too, but `" + e.decision.route + "` comes first.";
    } else {
      std::vector<std::string> reasons;
      for (RouteFilter f : v.rejected_by)
        reasons.push_back(RejectionDetail(*router, rank, f, m, d));
      line += "rejected by " + Join(reasons, ", ") + ".";
    }
    out += line;
  }
  if (hidden > 0) out += "\n… and " + std::to_string(hidden) + " more routes not shown.";
  if (e.verdicts.empty()) out += "\nThere are no routes yet.";
  return Answer(out);
}

CommandAnswer RunRoute(CommandService& svc, const CommandContext&, const ParsedCommand& cmd) {
  const std::string sub = cmd.args.empty() ? "" : Lower(cmd.args[0].value);
  if (sub == "add") return RouteAdd(svc, cmd);
  if (sub == "list") return RouteList(svc);
  if (sub == "rm" || sub == "enable" || sub == "disable") return RouteChange(svc, cmd, sub);
  if (sub == "test") return RouteTest(svc, cmd);
  return RouteUsages(
      sub.empty() ? "Which route command?"
                  : "Unknown route command " +
                        svc.deps().dialect->Code(text::TruncateUtf8(cmd.args[0].value, 40)) + ".");
}

}  // namespace

Result<Route> ParseRouteSpec(std::string_view text, const std::vector<std::string>& known_platforms,
                             const ChatDialect& dialect) {
  auto tokens = Tokenize(text, /*strict=*/true);
  if (!tokens.ok())
    return Status::Invalid("Could not read that: " + tokens.status().message() + ".");
  if (tokens->empty() || tokens->front().value.find('=') != std::string::npos) {
    return Status::Invalid(
        "Give the route a name first, like `route add support channel=#support`.");
  }
  Route r;
  r.priority = kDefaultPriority;
  r.name = NormalizeRouteName(tokens->front().value);
  if (r.name.empty()) {
    return Status::Invalid(
        Quote(tokens->front().value) +
        " cannot be a route name: use 1 to 64 letters, digits, '_', '-' or '.'.");
  }
  static const std::set<std::string> kKeys = {"channel", "platform",      "kind",    "keywords",
                                              "regex",   "min_followers", "priority"};
  std::set<std::string> seen;
  for (std::size_t i = 1; i < tokens->size(); ++i) {
    const std::string& token = (*tokens)[i].value;
    const std::size_t eq = token.find('=');
    if (eq == std::string::npos) {
      return Status::Invalid("Expected key=value, got " + Quote(token) +
                             " (quote values with spaces).");
    }
    std::string key = Lower(token.substr(0, eq));
    if (key == "platforms") key = "platform";
    if (key == "kinds") key = "kind";
    if (key == "keyword") key = "keywords";
    const std::string value = token.substr(eq + 1);
    if (kKeys.count(key) == 0) {
      return Status::Invalid(
          "Unknown key " + Quote(token.substr(0, eq)) +
          ". Keys: channel, platform, kind, keywords, regex, min_followers, priority.");
    }
    if (!seen.insert(key).second) return Status::Invalid(key + "= is given twice.");
    if (text::Trim(value).empty()) return Status::Invalid(key + "= needs a value.");
    if (Status s = ParseRouteValue(key, value, known_platforms, dialect, r); !s.ok()) return s;
  }
  if (r.channel.empty())
    return Status::Invalid("channel= is required: where should matching mentions go?");
  if (Status s = ValidateRoute(r); !s.ok()) return Status::Invalid(s.message() + ".");
  return r;
}

void RegisterRouteCommands(CommandService& service) {
  service.Register({"route", "route add|list|rm|enable|disable|test …",
                    "which channel each mention goes to (`/duplex route` shows every form)", true,
                    RunRoute});
}

}  // namespace duplex
