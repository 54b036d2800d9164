// CommandService: executes `/duplex <verb> …` (and the `/reply` alias) for any chat.
// Verbs live in a table; each answers with text for an ephemeral reply. A state change is
// committed before the answer; calls to other services happen later, from the outbox.
// Callers (the Slack/Mattermost handlers) have already verified the request and workspace.
// Admin verbs are enforced here, for every verb alike: only config admins and admins added
// from chat may run them, and every attempt is audited — a refusal as `refused`; an accepted
// command as `started` before it runs (no audit, no run), then `ok` or `error`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/chat.h"
#include "core/clock.h"
#include "core/command_parser.h"
#include "core/routing/router.h"
#include "core/sla.h"
#include "platforms/registry.h"
#include "storage/store.h"

namespace duplex {

struct CommandContext {
  std::string team_id;
  std::string channel_id;
  std::string user_id;
  std::string user_name;
  std::string command;  // "/duplex", "/reply"
  std::string text;
  // Identifies this invocation (Slack trigger_id); a repeat of it is not run twice.
  std::string request_id;
  // The text came from a form field (a Slack modal), not from chat markup: free text such as
  // a reply is used as typed, without undoing chat escapes.
  bool text_is_plain = false;
  // The chat event the command came from (a `reply:` written in a thread, see
  // commands/thread_messages.h): `reply` takes it in the same transaction as the reply, and
  // answers `repeat` without queuing anything when it had been taken. Other verbs are never
  // given one.
  std::optional<EventClaim> claim;
};

struct CommandAnswer {
  std::string text;
  bool in_channel = false;  // default: ephemeral, only the caller sees it
  bool error = false;       // the command was refused or failed (recorded in the audit log)
  bool repeat = false;      // the same request (trigger_id, event) was handled before: not run
};

struct CommandDeps {
  Store* store = nullptr;
  const Clock* clock = nullptr;
  const ChatDialect* dialect = nullptr;
  const ConnectorMap* connectors = nullptr;
  std::function<void()> wake_delivery;  // new outbox work
  // Routing and administration (admin_commands.h).
  std::vector<std::string> config_admins;  // chat.admins; stored admins come from the store
  std::string default_channel;
  std::function<std::shared_ptr<const Router>()> router;  // the routes in force
  std::function<Status()> reload_routes;                  // after a route change
  // Staff workflow (staff_commands.h): SLA targets and the reach that makes a VIP.
  SlaSettings sla;
  std::int64_t vip_followers = 10'000;
};

class CommandService;

struct CommandSpec {
  std::string verb;
  std::string usage;    // "reply <ref> <text>"
  std::string summary;  // one line for help
  bool admin = false;
  std::function<CommandAnswer(CommandService&, const CommandContext&, const ParsedCommand&)> run;
};

class CommandService {
 public:
  explicit CommandService(CommandDeps deps);

  CommandAnswer Execute(const CommandContext& ctx);

  // The verbs, in help order. Modules add theirs with Register.
  void Register(CommandSpec spec);
  const std::vector<CommandSpec>& Specs() const { return specs_; }
  const CommandSpec* Find(const std::string& verb) const;

  CommandDeps& deps() { return deps_; }
  // "Usage: /duplex reply <ref> <text>"
  std::string Usage(const CommandSpec& spec) const;
  CommandAnswer UsageError(const CommandSpec& spec, const std::string& problem) const;

  // AllAdmins of this service's config admins and store.
  Result<std::vector<std::string>> Admins();

 private:
  CommandAnswer ExecuteAdmin(const CommandSpec& spec, const CommandContext& ctx,
                             const ParsedCommand& cmd);

  CommandDeps deps_;
  std::vector<CommandSpec> specs_;
};

// Who may run admin verbs: the config's `chat.admins`, then the admins added from chat that
// are not among them.
Result<std::vector<std::string>> AllAdmins(Store& store,
                                           const std::vector<std::string>& config_admins);

// The staff verbs of the skeleton: reply, help.
void RegisterCoreCommands(CommandService& service);

// The customer message a staff reply to `c` answers. A conversation is its opener's: the
// reply answers the newest message of the author who started it (Conversation::author) that
// is not muted. Others who write in the same thread — in a group chat, under a post, in an
// issue with many commenters, a muted author answering the opener — never receive it.
// nullopt when the opener has no such message (all of theirs are muted).
Result<std::optional<StoredMessage>> ReplyParent(Store& store, const Conversation& c);

// Whom a reply to conversation `ref` goes to, as a reply form names them: the opener's name,
// else their handle, else their id. nullopt when there is no conversation `ref`.
Result<std::optional<std::string>> ReplyAddressee(CommandService& service, std::int64_t ref);

}  // namespace duplex
