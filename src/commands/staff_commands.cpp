#include "commands/staff_commands.h"

#include <algorithm>

#include "commands/conversation_view.h"
#include "commands/notices.h"
#include "core/text.h"

namespace duplex {
namespace staff {

Target LoadConversation(CommandService& svc, const CommandSpec& spec, const ParsedCommand& cmd) {
  const ChatDialect& d = *svc.deps().dialect;
  if (cmd.args.empty()) {
    return {std::nullopt,
            svc.UsageError(spec, "Which conversation? Give its ref, like `42` or `#42`.")};
  }
  auto ref = ParseRef(cmd.args[0].value);
  if (!ref) {
    return {std::nullopt,
            svc.UsageError(spec, d.Code(text::TruncateUtf8(cmd.args[0].value, 40)) +
                                     " is not a conversation ref (use `42` or `#42`).")};
  }
  auto conv = svc.deps().store->GetConversation(*ref);
  if (!conv.ok())
    return {std::nullopt, {"duplex could not read the database. Try again.", false, true}};
  if (!conv->has_value()) {
    return {std::nullopt, {"There is no conversation #" + std::to_string(*ref) + ".", false, true}};
  }
  return {std::move(*conv), {}};
}

}  // namespace staff

namespace {

using staff::LoadConversation;

constexpr int kQueueShown = 25;
constexpr int kQueueFetched = 1000;
constexpr std::size_t kShowMessageChars = 300;

const char* kDatabaseDown = "duplex could not update the database; nothing was changed. Try again.";

std::string Ref(std::int64_t id) {
  return "#" + std::to_string(id);
}

std::string PlatformName(CommandService& svc, const std::string& platform) {
  auto it = svc.deps().connectors->find(platform);
  return it == svc.deps().connectors->end() ? platform : it->second->DisplayName();
}

CommandAnswer Edit(CommandService& svc, const ConversationEdit& edit, EditOutcome& out) {
  auto& deps = svc.deps();
  auto done = deps.store->EditConversation(edit, deps.clock->NowMs());
  if (!done.ok()) {
    if (done.status().code() == StatusCode::kNotFound) {
      return {done.status().message() + ".", false, true};
    }
    return {kDatabaseDown, false, true};
  }
  out = std::move(*done);
  if (out.changed && deps.wake_delivery) deps.wake_delivery();
  return {};
}

CommandAnswer RunNote(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("note");
  auto target = LoadConversation(svc, spec, cmd);
  if (!target.conversation) return target.error;
  const std::string note = cmd.RestFrom(1);
  if (note.empty()) return svc.UsageError(spec, "The note is empty.");
  auto& deps = svc.deps();
  NewNote add{target.conversation->id, ctx.user_id, note,
              notices::Note(*deps.dialect, ctx.user_id, note), std::nullopt};
  auto id = deps.store->AddNote(add, deps.clock->NowMs());
  if (!id.ok()) return {kDatabaseDown, false, true};
  if (deps.wake_delivery) deps.wake_delivery();
  return {"Note added to " + Ref(target.conversation->id) +
              ". It appears in the thread and is never sent to the customer.",
          false};
}

CommandAnswer RunAssign(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("assign");
  const ChatDialect& d = *svc.deps().dialect;
  auto target = LoadConversation(svc, spec, cmd);
  if (!target.conversation) return target.error;
  if (cmd.args.size() > 2) return svc.UsageError(spec, "Assign to one person at a time.");
  std::string who = ctx.user_id;
  if (cmd.args.size() == 2 && text::ToLowerAscii(cmd.args[1].value) != "me") {
    who = ParseUserRef(cmd.args[1].value);
    if (!d.IsUserId(who)) {
      return svc.UsageError(spec,
                            d.Code(text::TruncateUtf8(cmd.args[1].value, 40)) +
                                " is not a person duplex can assign: mention them (type @ and "
                                "pick the name) or write `me`.");
    }
  }
  ConversationEdit edit{target.conversation->id, ConversationOp::kAssign, who,
                        notices::Assigned(d, ctx.user_id, who)};
  EditOutcome out;
  if (auto failed = Edit(svc, edit, out); !failed.text.empty()) return failed;
  const std::string ref = Ref(out.after.id);
  if (!out.changed) return {ref + " is already assigned to " + d.User(who) + ".", false};
  std::string answer = "Assigned " + ref + " to " + d.User(who);
  if (!out.before.assignee.empty()) answer += " (it was " + d.User(out.before.assignee) + ")";
  answer += ".";
  if (out.after.state == ConversationState::kClosed) {
    answer +=
        " It is closed; `/duplex reopen " + std::to_string(out.after.id) + "` opens it again.";
  }
  return {answer, false};
}

CommandAnswer RunUnassign(CommandService& svc, const CommandContext& ctx,
                          const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("unassign");
  const ChatDialect& d = *svc.deps().dialect;
  auto target = LoadConversation(svc, spec, cmd);
  if (!target.conversation) return target.error;
  ConversationEdit edit{target.conversation->id, ConversationOp::kUnassign, "",
                        notices::Unassigned(d, ctx.user_id, target.conversation->assignee)};
  EditOutcome out;
  if (auto failed = Edit(svc, edit, out); !failed.text.empty()) return failed;
  const std::string ref = Ref(out.after.id);
  if (!out.changed) return {ref + " is not assigned to anyone.", false};
  return {"Unassigned " + d.User(out.before.assignee) + " from " + ref + "; nobody owns it now.",
          false};
}

CommandAnswer RunClose(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("close");
  auto target = LoadConversation(svc, spec, cmd);
  if (!target.conversation) return target.error;
  ConversationEdit edit{target.conversation->id, ConversationOp::kClose, "",
                        notices::Closed(*svc.deps().dialect, ctx.user_id)};
  EditOutcome out;
  if (auto failed = Edit(svc, edit, out); !failed.text.empty()) return failed;
  const std::string ref = Ref(out.after.id);
  if (!out.changed) return {ref + " is already closed.", false};
  return {"Closed " + ref + ". A new message from the customer reopens it.", false};
}

CommandAnswer RunReopen(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("reopen");
  auto& deps = svc.deps();
  auto target = LoadConversation(svc, spec, cmd);
  if (!target.conversation) return target.error;
  const Conversation& c = *target.conversation;
  const UnixMs due = deps.clock->NowMs() + deps.sla.FirstResponseMs(c.route);
  ConversationEdit edit{c.id, ConversationOp::kReopen, "",
                        notices::Reopened(*deps.dialect, ctx.user_id, due)};
  EditOutcome out;
  if (auto failed = Edit(svc, edit, out); !failed.text.empty()) return failed;
  const std::string ref = Ref(out.after.id);
  if (!out.changed) {
    return {ref + " is not closed (it is " + ToString(out.after.state) + ").", false};
  }
  return {"Reopened " + ref + ". Its SLA clock starts again: first reply due " +
              deps.dialect->Time(due) + ".",
          false};
}

// --- show --------------------------------------------------------------------------------

std::string RenderMessage(CommandService& svc, const Conversation& c, const StoredMessage& m) {
  const ChatDialect& d = *svc.deps().dialect;
  std::string head = d.Time(m.created_at) + " · ";
  switch (m.direction) {
    case MessageDirection::kIn:
      head += "customer " + AuthorLine(d, m.author, svc.deps().vip_followers);
      if (m.muted) head += " (muted: not posted)";
      if (m.reopened) head += " (reopened the conversation)";
      if (!m.permalink.empty()) head += " · " + d.Link(m.permalink, "open");
      break;
    case MessageDirection::kOut:
      head += "reply by " + d.User(m.chat_user) + " · " + (m.status.empty() ? "queued" : m.status);
      if (!m.permalink.empty()) {
        head += " · " + d.Link(m.permalink, "view on " + PlatformName(svc, c.platform));
      }
      break;
    case MessageDirection::kNote:
      head += "note by " + d.User(m.chat_user);
      break;
  }
  return head + "\n" + notices::Quote(d, text::TruncateUtf8(m.text, kShowMessageChars));
}

CommandAnswer RunShow(CommandService& svc, const CommandContext&, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("show");
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  auto target = LoadConversation(svc, spec, cmd);
  if (!target.conversation) return target.error;
  const Conversation& c = *target.conversation;
  auto messages = deps.store->ListMessages(c.id);
  if (!messages.ok()) return {"duplex could not read the database. Try again.", false, true};
  const UnixMs now = deps.clock->NowMs();

  std::string out = Ref(c.id) + " · " + PlatformName(svc, c.platform) + " · " +
                    AuthorLine(d, c.author, deps.vip_followers) + "\n";
  out += StateLine(d, c, deps.sla, now, /*live=*/true) + "\n";
  out +=
      (c.route.empty() ? std::string("default channel ") : "route " + d.Escape(c.route) + " → ") +
      d.Channel(c.channel) + " · started " + d.Time(c.created_at);
  if (c.first_response_at) {
    out += " · first reply after " + text::FormatDuration(*c.first_response_at - c.created_at);
  }

  std::vector<std::string> rendered;
  for (const auto& m : *messages) rendered.push_back(RenderMessage(svc, c, m));
  // The first message states the case and the latest are where it stands: keep those, and
  // say how many in between do not fit.
  const std::size_t budget = d.MaxPostChars();
  std::size_t used = text::CountCodePoints(out) + 80;
  std::vector<std::size_t> keep;
  if (!rendered.empty()) {
    keep.push_back(0);
    used += text::CountCodePoints(rendered[0]) + 2;
  }
  std::size_t oldest_kept = rendered.size();
  for (std::size_t i = rendered.size(); i-- > 1;) {
    const std::size_t cost = text::CountCodePoints(rendered[i]) + 2;
    if (used + cost > budget) break;
    used += cost;
    oldest_kept = i;
  }
  out += "\n" + std::to_string(rendered.size()) + " message" + (rendered.size() == 1 ? "" : "s") +
         ", oldest first:";
  if (!rendered.empty()) out += "\n\n" + rendered[0];
  const std::size_t left_out = oldest_kept > 1 ? oldest_kept - 1 : 0;
  if (left_out > 0) {
    out += "\n\n… " + std::to_string(left_out) + " message" + (left_out == 1 ? "" : "s") +
           " in between left out to fit …";
  }
  for (std::size_t i = oldest_kept; i < rendered.size(); ++i) out += "\n\n" + rendered[i];
  return {out, false};
}

// --- queue -------------------------------------------------------------------------------

CommandAnswer RunQueue(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("queue");
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  if (cmd.args.size() > 1) return svc.UsageError(spec, "Give one channel, or `all`.");
  std::string channel = ctx.channel_id;
  if (!cmd.args.empty()) {
    const std::string& arg = cmd.args[0].value;
    channel = text::ToLowerAscii(arg) == "all" ? "" : ParseChannelRef(arg);
    if (channel.empty() && text::ToLowerAscii(arg) != "all") {
      return svc.UsageError(spec, d.Code(text::TruncateUtf8(arg, 40)) + " is not a channel.");
    }
  }
  const std::string where = channel.empty() ? "any channel" : d.Channel(channel);
  auto list = deps.store->ListQueue(channel, kQueueFetched);
  if (!list.ok()) return {"duplex could not read the database. Try again.", false, true};
  if (list->empty()) {
    return {"Nothing is waiting in " + where + "." +
                (channel.empty() ? "" : " `/duplex queue all` looks in every channel."),
            false};
  }
  std::vector<QueueEntry>& entries = *list;
  std::stable_sort(entries.begin(), entries.end(), [&](const QueueEntry& a, const QueueEntry& b) {
    return QueueBefore(
        {IsVip(a.conversation.author, deps.vip_followers), a.waiting_since, a.conversation.id},
        {IsVip(b.conversation.author, deps.vip_followers), b.waiting_since, b.conversation.id});
  });
  const UnixMs now = deps.clock->NowMs();
  const bool capped = static_cast<int>(entries.size()) >= kQueueFetched;
  std::string out = std::to_string(entries.size()) + (capped ? "+" : "") + " waiting in " + where +
                    " (VIPs first, then the longest waiting):";
  const std::size_t shown = std::min<std::size_t>(entries.size(), kQueueShown);
  for (std::size_t i = 0; i < shown; ++i) {
    const Conversation& c = entries[i].conversation;
    out += "\n• " + Ref(c.id) + " · " + PlatformName(svc, c.platform) + " · " +
           AuthorLine(d, c.author, deps.vip_followers) + " · waiting " +
           text::FormatDuration(now - entries[i].waiting_since) + " · " +
           SlaBadge(d, ConversationSla(c, deps.sla, now), /*live=*/true) + " · " +
           (c.assignee.empty() ? std::string("unassigned") : d.User(c.assignee));
    if (channel.empty()) out += " · " + d.Channel(c.channel);
  }
  if (entries.size() > shown) {
    out += "\n…and " + std::to_string(entries.size() - shown) + (capped ? "+" : "") + " more.";
  }
  return {out, false};
}

}  // namespace

void RegisterStaffCommands(CommandService& service) {
  service.Register({"note", "note <ref> <text>",
                    "an internal note in the thread; never sent to the customer", false, RunNote});
  service.Register({"assign", "assign <ref> [@user|me]", "make someone (you, by default) the owner",
                    false, RunAssign});
  service.Register({"unassign", "unassign <ref>", "leave the conversation without an owner", false,
                    RunUnassign});
  service.Register(
      {"close", "close <ref>", "close it; a new customer message reopens it", false, RunClose});
  service.Register({"reopen", "reopen <ref>",
                    "open a closed conversation again, with a new SLA clock", false, RunReopen});
  service.Register({"show", "show <ref>",
                    "the conversation: state, SLA, messages, replies and notes", false, RunShow});
  service.Register(
      {"queue", "queue [#channel|all]",
       "what waits for an answer here (or there, or anywhere): VIPs first, then oldest", false,
       RunQueue});
  staff::RegisterTemplateCommands(service);
  staff::RegisterStatsCommand(service);
}

}  // namespace duplex
