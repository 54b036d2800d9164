#include "commands/command_service.h"

#include <algorithm>

#include "commands/delivery_commands.h"
#include "commands/notices.h"
#include "commands/staff_commands.h"
#include "core/log.h"
#include "core/text.h"

namespace duplex {

CommandService::CommandService(CommandDeps deps) : deps_(std::move(deps)) {
  RegisterCoreCommands(*this);
  RegisterStaffCommands(*this);
  RegisterDeliveryCommands(*this);
}

void CommandService::Register(CommandSpec spec) {
  for (auto& s : specs_) {
    if (s.verb == spec.verb) {
      s = std::move(spec);
      return;
    }
  }
  specs_.push_back(std::move(spec));
}

const CommandSpec* CommandService::Find(const std::string& verb) const {
  for (const auto& s : specs_) {
    if (s.verb == verb) return &s;
  }
  return nullptr;
}

std::string CommandService::Usage(const CommandSpec& spec) const {
  return "Usage: `/duplex " + spec.usage + "`";
}

CommandAnswer CommandService::UsageError(const CommandSpec& spec,
                                         const std::string& problem) const {
  return {problem + "\n" + Usage(spec), false, true};
}

Result<std::vector<std::string>> AllAdmins(Store& store,
                                           const std::vector<std::string>& config_admins) {
  std::vector<std::string> out = config_admins;
  auto stored = store.ListAdmins();
  if (!stored.ok()) return stored.status();
  for (const auto& a : *stored) {
    if (std::find(out.begin(), out.end(), a.user_id) == out.end()) out.push_back(a.user_id);
  }
  return out;
}

Result<std::vector<std::string>> CommandService::Admins() {
  return AllAdmins(*deps_.store, deps_.config_admins);
}

namespace {

constexpr std::size_t kAuditCommandChars = 1000;
constexpr std::size_t kAuditDetailChars = 300;
constexpr std::size_t kAdminsNamedInRefusal = 5;

std::string FirstLine(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

}  // namespace

CommandAnswer CommandService::ExecuteAdmin(const CommandSpec& spec, const CommandContext& ctx,
                                           const ParsedCommand& cmd) {
  AuditEntry entry;
  entry.at = deps_.clock->NowMs();
  entry.user_id = ctx.user_id;
  entry.command = text::TruncateUtf8(text::Trim(cmd.raw), kAuditCommandChars);
  auto admins = Admins();
  if (!admins.ok()) {
    return {
        "duplex could not check your role (database unavailable); nothing was changed. Try again.",
        false, true};
  }
  const bool is_admin = std::find(admins->begin(), admins->end(), ctx.user_id) != admins->end();
  if (!is_admin) {
    entry.result = AuditResult::kRefused;
    entry.detail = "not an admin";
    if (auto logged = deps_.store->AppendAudit(entry); !logged.ok()) {
      log::Error("audit log write failed", {{"user", ctx.user_id}, {"verb", spec.verb}});
    }
    log::Warn("admin command refused", {{"verb", spec.verb}, {"user", ctx.user_id}});
    std::string who;
    for (std::size_t i = 0; i < admins->size() && i < kAdminsNamedInRefusal; ++i) {
      who += (i ? ", " : "") + deps_.dialect->User((*admins)[i]);
    }
    return {"`" + spec.verb +
                "` is an admin command and you are not an admin, so nothing was done." +
                (who.empty() ? std::string() : " Ask an admin: " + who + "."),
            false, true};
  }
  auto id = deps_.store->AppendAudit(entry);
  if (!id.ok()) {
    return {
        "duplex could not write the audit log (database unavailable); nothing was changed. Try "
        "again.",
        false, true};
  }
  CommandAnswer answer = spec.run(*this, ctx, cmd);
  Status finished =
      deps_.store->FinishAudit(*id, answer.error ? AuditResult::kError : AuditResult::kOk,
                               text::TruncateUtf8(FirstLine(answer.text), kAuditDetailChars));
  if (!finished.ok()) {
    log::Error("audit log entry left as started", {{"id", *id}, {"verb", spec.verb}});
  }
  return answer;
}

CommandAnswer CommandService::Execute(const CommandContext& ctx) {
  std::string text = ctx.text;
  // `/reply 42 …` is `/duplex reply 42 …`.
  if (ctx.command == "/reply") text = "reply " + text;
  auto parsed = ParseCommandText(text);
  if (!parsed.ok())
    return {"Could not read that command: " + parsed.status().message(), false, true};
  const CommandSpec* spec = Find(parsed->verb);
  if (spec == nullptr) {
    std::string verbs;
    for (const auto& s : specs_) verbs += (verbs.empty() ? "" : ", ") + s.verb;
    return {"Unknown command " + deps_.dialect->Code(text::TruncateUtf8(parsed->verb, 40)) +
                ". Commands: " + verbs + ".\nType `/duplex help` for usage.",
            false, true};
  }
  if (!ctx.request_id.empty()) {
    auto first = deps_.store->ClaimEvent("chat-command", ctx.team_id + ":" + ctx.request_id,
                                         deps_.clock->NowMs());
    if (first.ok() && !*first) {
      return {"This command was already received (the chat sent it again); it was not run twice.",
              false, false, true};
    }
  }
  CommandAnswer answer =
      spec->admin ? ExecuteAdmin(*spec, ctx, *parsed) : spec->run(*this, ctx, *parsed);
  log::Info("command", {{"verb", spec->verb}, {"user", ctx.user_id}, {"channel", ctx.channel_id}});
  return answer;
}

Result<std::optional<StoredMessage>> ReplyParent(Store& store, const Conversation& c) {
  return store.LatestMessageFrom(c.id, c.author.id);
}

Result<std::optional<std::string>> ReplyAddressee(CommandService& service, std::int64_t ref) {
  auto conv = service.deps().store->GetConversation(ref);
  if (!conv.ok()) return conv.status();
  if (!conv->has_value()) return std::optional<std::string>();
  const Author& a = (*conv)->author;
  return std::optional<std::string>(!a.name.empty() ? a.name : !a.handle.empty() ? a.handle : a.id);
}

namespace {

CommandAnswer RunReply(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  const CommandSpec& spec = *svc.Find("reply");
  if (cmd.args.empty())
    return svc.UsageError(spec, "Which conversation? Give its ref, like `42` or `#42`.");
  auto ref = ParseRef(cmd.args[0].value);
  if (!ref) {
    return svc.UsageError(spec,
                          svc.deps().dialect->Code(text::TruncateUtf8(cmd.args[0].value, 40)) +
                              " is not a conversation ref (use `42` or `#42`).");
  }
  std::string reply_text =
      ctx.text_is_plain ? cmd.RestFrom(1) : svc.deps().dialect->ToPlain(cmd.RestFrom(1));
  if (reply_text.empty()) return svc.UsageError(spec, "The reply text is empty.");
  auto& deps = svc.deps();
  auto conv = deps.store->GetConversation(*ref);
  if (!conv.ok())
    return {"duplex could not read the database; nothing was queued. Try again.", false, true};
  if (!conv->has_value())
    return {"There is no conversation #" + std::to_string(*ref) + ".", false, true};
  const Conversation& c = **conv;
  auto it = deps.connectors->find(c.platform);
  if (it == deps.connectors->end()) {
    return {"#" + std::to_string(c.id) + " came from " + c.platform +
                ", which is not configured any more, so duplex cannot reply there.",
            false, true};
  }
  auto parent = ReplyParent(*deps.store, c);
  if (!parent.ok()) {
    return {"duplex could not read the database; nothing was queued. Try again.", false, true};
  }
  const ChatDialect& d = *deps.dialect;
  const std::string opener =
      d.Escape("@" + (c.author.handle.empty() ? c.author.id : c.author.handle));
  if (!parent->has_value()) {
    return {"Not queued: #" + std::to_string(c.id) + " has no message from " + opener +
                ", who started it, that duplex may answer (theirs are muted). Replies go only "
                "to the person who started a conversation.",
            false, true};
  }
  const StoredMessage& answered = **parent;
  // `reply 42 :thanks` sends the template `thanks`, filled in (staff_commands.h).
  auto resolved = ResolveReplyTemplate(svc, c, answered, reply_text);
  if (!resolved.ok()) return {resolved.status().message(), false, true};
  reply_text = std::move(*resolved);
  if (Status s = it->second->ValidateReply(reply_text, c.conversation_key); !s.ok()) {
    return svc.UsageError(spec, "Not queued: " + s.message());
  }
  NewReply reply{c.id,     answered.id, ctx.user_id, reply_text, c.platform + ":" + c.account,
                 ctx.claim};
  auto queued = deps.store->QueueReply(reply, deps.clock->NowMs());
  if (!queued.ok()) {
    if (queued.status().code() == StatusCode::kNotFound)
      return {queued.status().message() + ".", false, true};
    return {
        "duplex could not save the reply (database unavailable); nothing was queued. Try again.",
        false, true};
  }
  if (queued->repeat) {
    return {"This reply was already received (the chat sent it again); it was not queued twice.",
            false, false, true};
  }
  if (deps.wake_delivery) deps.wake_delivery();
  return {"Queued reply to #" + std::to_string(c.id) + " on " + it->second->DisplayName() +
              " (delivery " + std::to_string(queued->delivery_id) + "), " +
              notices::InReplyTo(d, answered.author, answered.text) +
              ". The result will appear in the conversation's thread.",
          false};
}

CommandAnswer RunHelp(CommandService& svc, const CommandContext&, const ParsedCommand& cmd) {
  if (!cmd.args.empty()) {
    const CommandSpec* spec = svc.Find(text::ToLowerAscii(cmd.args[0].value));
    if (spec != nullptr) return {svc.Usage(*spec) + "\n" + spec->summary, false};
  }
  std::string out = "duplex commands (`/reply <ref> <text>` works too):";
  for (const auto& s : svc.Specs()) {
    out += "\n• `/duplex " + s.usage + "` — " + s.summary + (s.admin ? " (admins)" : "");
  }
  return {out, false};
}

}  // namespace

void RegisterCoreCommands(CommandService& service) {
  service.Register({"reply", "reply <ref> <text>",
                    "post <text> on the customer's platform, in reply to the latest message of "
                    "whoever started the conversation"
                    " (`:<name>` as the text sends a template)",
                    false, RunReply});
  service.Register({"help", "help [verb]", "this list, or the usage of one verb", false, RunHelp});
}

}  // namespace duplex
