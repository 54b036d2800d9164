// The admin verbs (docs/commands-admin.md): route … (see route_commands.h), mute, unmute, mutes,
// admin add|rm, admins, audit. CommandService enforces the role and writes the audit log for
// them; these functions only do the work.
//
// Guarantees:
// - Channels and people are accepted as Slack escapes (<#C…|name>, <@U…|name>) or raw ids
//   and named back through the ChatDialect (<#C…>, <@U…>).
// - Config admins (chat.admins) cannot be removed from chat; an admin added from chat can
//   remove any such admin, themselves included, except the last one when the config names
//   none (so someone can always administer duplex).
#pragma once

namespace duplex {

class CommandService;

// Registers the route verbs too.
void RegisterAdminCommands(CommandService& service);

}  // namespace duplex
