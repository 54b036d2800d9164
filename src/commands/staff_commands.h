// Staff commands (docs/commands-staff.md): note, assign, unassign,
// close, reopen, show, queue, template list|add|rm, stats — and templates in
// `reply <ref> :<name>`. Any workspace member may run them. Each answers ephemerally; a
// state change is committed before the answer, together with its thread notice and the
// thread root update, which the outbox posts after.
#pragma once

#include <optional>
#include <string>

#include "commands/command_service.h"

namespace duplex {

void RegisterStaffCommands(CommandService& service);

// The reply to send for `reply <ref> <text>`: `text` itself, or, when it is `:<name>`, that
// template filled in for the customer message the reply answers, `answered` (its author's
// {author} and {handle}; the conversation's {ref}). InvalidArgument for an unknown template,
// naming those there are.
Result<std::string> ResolveReplyTemplate(CommandService& svc, const Conversation& c,
                                         const StoredMessage& answered, const std::string& text);

namespace staff {

// The conversation named by the first argument, or the answer that explains why not.
struct Target {
  std::optional<Conversation> conversation;
  CommandAnswer error;
};
Target LoadConversation(CommandService& svc, const CommandSpec& spec, const ParsedCommand& cmd);

void RegisterTemplateCommands(CommandService& service);  // template_commands.cpp
void RegisterStatsCommand(CommandService& service);      // stats_command.cpp

}  // namespace staff
}  // namespace duplex
