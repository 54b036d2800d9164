#include "commands/admin_commands.h"

#include <algorithm>

#include "commands/command_helpers.h"
#include "commands/route_commands.h"
#include "core/log.h"
#include "core/text.h"

namespace duplex {
namespace {

using namespace commands;  // NOLINT: the module's own helpers

constexpr const char* kMuteUsage = "mute <platform>:<handle>";
constexpr const char* kUnmuteUsage = "unmute <platform>:<handle>";
constexpr const char* kAdminUsage = "admin add|rm <@user>";
constexpr const char* kAuditUsage = "audit [N]";
constexpr std::size_t kMaxAuthorBytes = 100;
constexpr int kDefaultAuditEntries = 20;
constexpr int kMaxAuditEntries = 100;

// "<platform>:<handle-or-id>", the handle with or without '@'.
Status ParseMuteTarget(const std::string& arg, std::string& platform, std::string& author) {
  const std::size_t colon = arg.find(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::Invalid("Write the author as platform:handle, like `x:spambot`.");
  }
  if (Status s = ParsePlatform(arg.substr(0, colon), KnownPlatformNames(), platform); !s.ok())
    return s;
  author = arg.substr(colon + 1);
  if (!author.empty() && author[0] == '@') author.erase(0, 1);
  if (author.empty())
    return Status::Invalid("Which author? Write platform:handle, like `x:spambot`.");
  if (author.size() > kMaxAuthorBytes) return Status::Invalid("That handle is too long.");
  return Status::Ok();
}

CommandAnswer RunMuteOrUnmute(CommandService& svc, const CommandContext& ctx,
                              const ParsedCommand& cmd, bool mute) {
  auto& deps = svc.deps();
  const char* usage = mute ? kMuteUsage : kUnmuteUsage;
  if (cmd.args.size() != 1) return UsageFail("Give one author, as platform:handle.", usage);
  std::string platform, author;
  if (Status s = ParseMuteTarget(cmd.args[0].value, platform, author); !s.ok()) {
    return UsageFail(deps.dialect->Escape(s.message()), usage);
  }
  const std::string who = Code(*deps.dialect, platform + ":" + author);
  if (mute) {
    auto added = deps.store->AddMute({platform, author, ctx.user_id, deps.clock->NowMs()});
    if (!added.ok()) return Unavailable();
    if (!*added) return Answer(who + " was already muted.");
    return Answer("Muted " + who +
                  ": their mentions are stored (see `/duplex show <ref>`) but not posted.");
  }
  auto removed = deps.store->RemoveMute(platform, author);
  if (!removed.ok()) return Unavailable();
  if (!*removed) return Fail(who + " is not muted. `/duplex mutes` lists the muted authors.");
  return Answer("Unmuted " + who + ": their new mentions are posted again.");
}

CommandAnswer RunMute(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  return RunMuteOrUnmute(svc, ctx, cmd, true);
}

CommandAnswer RunUnmute(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  return RunMuteOrUnmute(svc, ctx, cmd, false);
}

CommandAnswer RunMutes(CommandService& svc, const CommandContext&, const ParsedCommand&) {
  auto& deps = svc.deps();
  auto mutes = deps.store->ListMutes();
  if (!mutes.ok()) return Unavailable();
  if (mutes->empty()) return Answer("Nobody is muted.");
  std::string out = "Muted authors (" + std::to_string(mutes->size()) + "):";
  for (const auto& m : *mutes) {
    out += "\n• " + Code(*deps.dialect, m.platform + ":" + m.author) + " — by " +
           deps.dialect->User(m.created_by) + ", " + FormatUtc(m.created_at);
  }
  return Answer(out);
}

CommandAnswer RunAdmin(CommandService& svc, const CommandContext& ctx, const ParsedCommand& cmd) {
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  const std::string sub = cmd.args.empty() ? "" : Lower(cmd.args[0].value);
  if ((sub != "add" && sub != "rm") || cmd.args.size() != 2) {
    return UsageFail("Say `add` or `rm`, and whom.", kAdminUsage);
  }
  const std::string user = ParseUserRef(cmd.args[1].value);
  if (user.empty())
    return UsageFail(d.Code(text::TruncateUtf8(cmd.args[1].value, 40)) +
                         " is not a person: mention them with @.",
                     kAdminUsage);
  const auto& config = deps.config_admins;
  const bool in_config = std::find(config.begin(), config.end(), user) != config.end();
  if (sub == "add") {
    if (in_config) return Answer(d.User(user) + " is already an admin (named in the config file).");
    auto added = deps.store->AddAdmin({user, ctx.user_id, deps.clock->NowMs()});
    if (!added.ok()) return Unavailable();
    return Answer(d.User(user) + (*added ? " is now an admin." : " is already an admin."));
  }
  if (in_config) {
    return Fail(
        d.User(user) +
        " is an admin named in the config file (chat.admins); only the config can change that.");
  }
  auto removed = deps.store->RemoveAdmin(user, /*keep_last=*/config.empty());
  if (!removed.ok()) {
    if (removed.status().code() == StatusCode::kInvalidArgument) {
      return Fail(d.User(user) +
                  " is the last admin and the config file names none; add another admin first.");
    }
    return Unavailable();
  }
  if (!*removed)
    return Fail(d.User(user) + " is not an admin added from chat. `/duplex admins` lists them.");
  return Answer(d.User(user) + " is no longer an admin.");
}

CommandAnswer RunAdmins(CommandService& svc, const CommandContext&, const ParsedCommand&) {
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  auto stored = deps.store->ListAdmins();
  if (!stored.ok()) return Unavailable();
  std::string out = "Admins:";
  for (const auto& u : deps.config_admins)
    out += "\n• " + d.User(u) + " — named in the config file";
  for (const auto& a : *stored) {
    if (std::find(deps.config_admins.begin(), deps.config_admins.end(), a.user_id) !=
        deps.config_admins.end())
      continue;
    out += "\n• " + d.User(a.user_id) + " — added by " + d.User(a.added_by) + ", " +
           FormatUtc(a.added_at);
  }
  return Answer(out + "\nEveryone else in the workspace is staff.");
}

CommandAnswer RunAudit(CommandService& svc, const CommandContext&, const ParsedCommand& cmd) {
  auto& deps = svc.deps();
  const ChatDialect& d = *deps.dialect;
  int n = kDefaultAuditEntries;
  if (cmd.args.size() > 1) return UsageFail("Give at most one number.", kAuditUsage);
  if (cmd.args.size() == 1) {
    auto v = ParseCount(cmd.args[0].value);
    if (!v || *v < 1 || *v > kMaxAuditEntries) {
      return UsageFail(
          "N is how many entries to show, from 1 to " + std::to_string(kMaxAuditEntries) + ".",
          kAuditUsage);
    }
    n = static_cast<int>(*v);
  }
  auto entries = deps.store->RecentAudit(n);
  if (!entries.ok()) return Unavailable();
  std::string out = "Latest admin commands, newest first:";
  for (const auto& e : *entries) {
    out += "\n• " + FormatUtc(e.at) + " · " + d.User(e.user_id) + " · *" + ToString(e.result) +
           "* · " + Code(d, e.command);
    if (!e.detail.empty() && e.result != AuditResult::kStarted) out += " — " + d.Escape(e.detail);
  }
  return Answer(out);
}

}  // namespace

void RegisterAdminCommands(CommandService& service) {
  RegisterRouteCommands(service);
  service.Register(
      {"mute", kMuteUsage, "store an author's mentions without posting them", true, RunMute});
  service.Register({"unmute", kUnmuteUsage, "post an author's mentions again", true, RunUnmute});
  service.Register({"mutes", "mutes", "the muted authors", true, RunMutes});
  service.Register({"admin", kAdminUsage, "give or take the admin role", true, RunAdmin});
  service.Register({"admins", "admins", "who the admins are", true, RunAdmins});
  service.Register(
      {"audit", kAuditUsage, "the latest admin commands: who, when, what, result", true, RunAudit});
}

}  // namespace duplex
