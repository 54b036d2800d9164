#include "commands/delivery_commands.h"

#include "commands/command_service.h"
#include "commands/notices.h"
#include "core/text.h"

namespace duplex {
namespace {

std::string Describe(const Delivery& d) {
  switch (d.kind) {
    case DeliveryKind::kPlatformReply:
      return "reply to #" + std::to_string(d.conversation_id);
    case DeliveryKind::kChatPost:
      return "chat post of #" + std::to_string(d.conversation_id);
    case DeliveryKind::kChatNotice:
      return d.conversation_id ? "notice in #" + std::to_string(d.conversation_id)
                               : "channel notice";
    case DeliveryKind::kChatUpdate:
      return "thread root update of #" + std::to_string(d.conversation_id);
  }
  return "delivery";
}

CommandAnswer RunDeadLetters(CommandService& svc, const CommandContext&, const ParsedCommand&) {
  auto& deps = svc.deps();
  auto list = deps.store->ListDeliveries({DeliveryState::kDead, DeliveryState::kUnknown}, 20);
  if (!list.ok()) return {"duplex could not read the database. Try again.", false};
  if (list->empty()) return {"No dead letters and no replies of unknown outcome.", false};
  const UnixMs now = deps.clock->NowMs();
  std::string out = "Deliveries that gave up or whose outcome is unknown (newest first):";
  for (const auto& d : *list) {
    out += "\n• `" + std::to_string(d.id) + "` " + Describe(d) + " — *" + ToString(d.state) +
           "*, " + text::FormatDuration(now - d.created_at) + " ago";
    if (!d.last_error.empty())
      out += ": " + deps.dialect->Escape(text::TruncateUtf8(d.last_error, 200));
  }
  out += "\nSend one again with `/duplex retry <id>`.";
  return {out, false};
}

CommandAnswer RunRetry(CommandService& svc, const CommandContext&, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("retry");
  if (cmd.args.size() != 1)
    return svc.UsageError(spec, "Which delivery? `/duplex deadletters` lists them.");
  auto id = ParseRef(cmd.args[0].value);
  if (!id) return svc.UsageError(spec, "A delivery id is a number, like `17`.");
  auto& deps = svc.deps();
  auto d = deps.store->RequeueDelivery(*id, deps.clock->NowMs());
  if (!d.ok()) {
    if (d.status().code() == StatusCode::kUnavailable)
      return {"duplex could not update the database. Try again.", false};
    return {d.status().message() + ".", false};
  }
  if (deps.wake_delivery) deps.wake_delivery();
  std::string out =
      "Delivery " + std::to_string(d->id) + " (" + Describe(*d) + ") is queued again.";
  if (d->kind == DeliveryKind::kPlatformReply) {
    out += " If the first attempt did reach the platform, the customer will see the reply twice.";
  }
  return {out, false};
}

}  // namespace

void RegisterDeliveryCommands(CommandService& service) {
  service.Register({"deadletters", "deadletters",
                    "deliveries that gave up, and replies of unknown outcome", true,
                    RunDeadLetters});
  service.Register({"retry", "retry <delivery-id>",
                    "send a dead or unknown delivery again, on purpose", true, RunRetry});
}

}  // namespace duplex
