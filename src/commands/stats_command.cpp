// `stats [24h|7d|30d]`: the maths is core/stats.h; this reads the window and renders it.
#include "commands/conversation_view.h"
#include "commands/staff_commands.h"
#include "core/stats.h"
#include "core/text.h"

namespace duplex {
namespace {

constexpr std::size_t kTopAuthors = 5;

std::optional<std::int64_t> WindowMs(const std::string& arg) {
  constexpr std::int64_t kHour = 60 * kMinuteMs;
  if (arg == "24h") return 24 * kHour;
  if (arg == "7d") return 7 * 24 * kHour;
  if (arg == "30d") return 30 * 24 * kHour;
  return std::nullopt;
}

std::string Percent(std::int64_t part, std::int64_t whole) {
  return std::to_string((part * 100 + whole / 2) / whole) + "%";
}

std::string Volumes(CommandService& svc, const std::vector<VolumeCount>& counts, bool routes) {
  const ChatDialect& d = *svc.deps().dialect;
  std::string out;
  for (const auto& c : counts) {
    std::string name = c.key;
    if (routes) {
      name = c.key.empty() ? "(default channel)" : d.Escape(c.key);
    } else if (auto it = svc.deps().connectors->find(c.key); it != svc.deps().connectors->end()) {
      name = it->second->DisplayName();
    }
    out += (out.empty() ? "" : " · ") + name + " " + std::to_string(c.messages);
  }
  return out;
}

CommandAnswer RunStats(CommandService& svc, const CommandContext&, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("stats");
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  const std::string window = cmd.args.empty() ? "24h" : text::ToLowerAscii(cmd.args[0].value);
  auto window_ms = WindowMs(window);
  if (!window_ms || cmd.args.size() > 1) {
    return svc.UsageError(spec, "The window is 24h, 7d or 30d.");
  }
  const UnixMs now = deps.clock->NowMs();
  const UnixMs since = now - *window_ms;
  auto rows = deps.store->ListStatsRows(since);
  if (!rows.ok()) return {"duplex could not read the database. Try again.", false};
  const StatsReport r = ComputeStats(*rows, since, now, deps.sla, kTopAuthors);
  if (r.messages == 0) return {"No customer messages in the last " + window + ".", false};

  std::string out = "Last " + window + ": " + std::to_string(r.messages) + " customer message" +
                    (r.messages == 1 ? "" : "s") + " in " + std::to_string(rows->size()) +
                    " conversation" + (rows->size() == 1 ? "" : "s") + " (" +
                    std::to_string(r.new_conversations) + " new).";
  out += "\nBy platform: " + Volumes(svc, r.by_platform, false);
  out += "\nBy route: " + Volumes(svc, r.by_route, true);
  if (r.p50_ms) {
    out += "\nFirst response (" + std::to_string(r.answered) + " of the new answered): p50 " +
           text::FormatDuration(*r.p50_ms) + " · p90 " + text::FormatDuration(*r.p90_ms);
  } else {
    out += "\nFirst response: none of the new conversations has a reply yet.";
  }
  const std::int64_t judged = r.sla_met + r.sla_missed;
  out += "\nWithin SLA: ";
  out += judged ? Percent(r.sla_met, judged) + " (" + std::to_string(r.sla_met) + " of " +
                      std::to_string(judged) + ")"
                : std::string("nothing to judge yet");
  std::vector<std::string> extra;
  if (r.sla_pending) extra.push_back(std::to_string(r.sla_pending) + " still within their SLA");
  if (r.closed_unanswered) {
    extra.push_back(std::to_string(r.closed_unanswered) + " closed without a reply, not counted");
  }
  for (std::size_t i = 0; i < extra.size(); ++i) out += (i ? "; " : " — ") + extra[i];
  if (!r.top_authors.empty()) {
    out += "\nTop authors by reach:";
    for (const auto& a : r.top_authors) {
      auto it = deps.connectors->find(a.platform);
      const std::string platform =
          it == deps.connectors->end() ? a.platform : it->second->DisplayName();
      out += "\n• " + AuthorLine(d, a.author, deps.vip_followers) + " on " + platform + " — " +
             std::to_string(a.conversations) + " conversation" + (a.conversations == 1 ? "" : "s");
    }
  }
  return {out, false};
}

}  // namespace

namespace staff {

void RegisterStatsCommand(CommandService& service) {
  service.Register(
      {"stats", "stats [24h|7d|30d]",
       "volume per platform and route, first-response p50/p90, share within SLA, top authors",
       false, RunStats});
}

}  // namespace staff
}  // namespace duplex
