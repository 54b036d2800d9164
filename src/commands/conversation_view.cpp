#include "commands/conversation_view.h"

#include "core/text.h"

namespace duplex {

std::string TimeLeft(std::int64_t ms) {
  // A countdown rounds up: 19m59s left reads "20m left", and it reads "0s" only at the end.
  const std::int64_t unit = ms >= kMinuteMs ? kMinuteMs : 1000;
  return text::FormatDuration((ms + unit - 1) / unit * unit);
}

SlaStatus ConversationSla(const Conversation& c, const SlaSettings& sla, UnixMs now) {
  return EvaluateSla({c.sla_started_at, c.sla_stopped_at}, sla.FirstResponseMs(c.route),
                     sla.remind_before_ms, now);
}

std::string SlaBadge(const ChatDialect& d, const SlaStatus& s, bool live) {
  switch (s.phase) {
    case SlaPhase::kRunning:
    case SlaPhase::kDueSoon:
      return "SLA: " + TimeLeft(s.left_ms) + " left · due " + d.Time(s.due_at);
    case SlaPhase::kOverdue:
      return "SLA: overdue since " + d.Time(s.due_at) +
             (live ? " (" + text::FormatDuration(-s.left_ms) + ")" : "");
    case SlaPhase::kMet:
      return "answered in " + text::FormatDuration(s.response_ms);
    case SlaPhase::kMissed:
      return "answered in " + text::FormatDuration(s.response_ms) + ", over the " +
             text::FormatDuration(s.target_ms) + " SLA";
  }
  return {};
}

std::string StateLine(const ChatDialect& d, const Conversation& c, const SlaSettings& sla,
                      UnixMs now, bool live) {
  std::string state;
  switch (c.state) {
    case ConversationState::kOpen:
      state = "Open";
      break;
    case ConversationState::kAssigned:
      state = "Assigned to " + d.User(c.assignee);
      break;
    case ConversationState::kReplied:
      state = "Replied";
      break;
    case ConversationState::kClosed:
      state = "Closed";
      break;
  }
  if (c.state != ConversationState::kAssigned && !c.assignee.empty()) {
    state += " · assigned to " + d.User(c.assignee);
  }
  const SlaStatus s = ConversationSla(c, sla, now);
  // A closed conversation's unanswered clock is moot; its answer time is still worth seeing.
  if (c.state == ConversationState::kClosed && !c.sla_stopped_at) return state;
  return state + " · " + SlaBadge(d, s, live);
}

std::string AuthorLine(const ChatDialect& d, const Author& a, std::int64_t vip_followers) {
  std::string out = d.Escape(a.name.empty() ? a.handle : a.name);
  // The @ is escaped with the handle: a handle "here" must not become a live "@here".
  if (!a.handle.empty() && a.handle != a.name) out += " (" + d.Escape("@" + a.handle) + ")";
  if (out.empty()) out = d.Escape(a.id);
  if (a.followers) out += " · " + text::FormatThousands(*a.followers) + " followers";
  if (IsVip(a, vip_followers)) out += " · VIP";
  return out;
}

}  // namespace duplex
