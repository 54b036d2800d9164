#include "commands/thread_messages.h"

#include "core/log.h"
#include "core/text.h"

namespace duplex {

std::optional<std::string> ThreadReplyText(const std::string& message) {
  std::string t = text::Trim(message);
  if (t.size() < 6 || text::ToLowerAscii(t.substr(0, 5)) != "reply") return std::nullopt;
  std::size_t i = 5;
  while (i < t.size() && t[i] == ' ') ++i;
  if (i >= t.size() || t[i] != ':') return std::nullopt;
  return text::Trim(std::string_view(t).substr(i + 1));
}

ThreadMessageOutcome HandleThreadMessage(const ThreadMessage& message, UnixMs now,
                                         const ThreadMessageDeps& deps) {
  ThreadMessageOutcome out;
  auto conv = deps.store->FindConversationByThread(message.channel, message.thread);
  if (!conv.ok()) {
    out.result = ThreadMessageResult::kUnavailable;
    out.error = conv.status().message();
    return out;
  }
  if (!conv->has_value()) return out;  // a thread duplex did not start
  const Conversation& c = **conv;
  out.conversation_id = c.id;
  const std::string ref = std::to_string(c.id);

  std::string notice;
  if (auto reply = ThreadReplyText(message.text)) {
    CommandContext ctx;
    ctx.team_id = message.team_id;
    ctx.channel_id = message.channel;
    ctx.user_id = message.user;
    ctx.command = "/duplex";
    ctx.text = "reply " + ref + " " + *reply;
    ctx.claim = message.claim;
    CommandAnswer answer = deps.commands->Execute(ctx);
    if (answer.repeat) {
      out.result = ThreadMessageResult::kRepeat;
      return out;
    }
    if (!answer.error) {
      out.result = ThreadMessageResult::kReplyQueued;
      return out;
    }
    // Not sent (and its claim not taken): keep the text as a note so nothing typed is lost,
    // and say why in the thread.
    notice = deps.dialect->User(message.user) + " your `reply:` was not sent: " + answer.text;
  }
  NewNote note{c.id, message.user, deps.dialect->ToPlain(message.text), notice, message.claim};
  auto id = deps.store->AddNote(note, now);
  if (!id.ok()) {
    log::Error("thread message not stored; the chat will send it again",
               {{"ref", ref}, {"event", message.claim.id}, {"error", id.status().message()}});
    out.result = ThreadMessageResult::kUnavailable;
    out.error = id.status().message();
    return out;
  }
  if (*id == 0) {
    out.result = ThreadMessageResult::kRepeat;
    return out;
  }
  if (!notice.empty() && deps.commands->deps().wake_delivery) {
    deps.commands->deps().wake_delivery();
  }
  log::Info("thread message stored as a note", {{"ref", ref}, {"user", message.user}});
  out.result = ThreadMessageResult::kNoteStored;
  return out;
}

Result<bool> ClaimStrayMessage(const EventClaim& claim, UnixMs now, const ThreadMessageDeps& deps) {
  return deps.store->ClaimEvent(claim.source, claim.id, now);
}

}  // namespace duplex
