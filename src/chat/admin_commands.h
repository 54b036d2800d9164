// The admin verbs (SPEC.md, "Admins"): route add|list|rm|enable|disable|test, mute, unmute,
// mutes, admin add|rm, admins, audit. CommandService enforces the role and writes the audit
// log for them; these functions only do the work.
//
// Guarantees:
// - A route change is committed, then the routes in force are reloaded (CommandDeps::
//   reload_routes) before the answer: the next webhook routes with it. Conversations that
//   already exist keep their channel and thread.
// - Channels and people are accepted as Slack escapes (<#C…|name>, <@U…|name>) or raw ids
//   and named back through the ChatDialect (<#C…>, <@U…>).
// - Values that Slack escapes in command text (&amp; &lt; &gt;, <https://…|label> links) are
//   decoded before keywords, regexes and `route test` text are used.
// - Config admins (chat.admins) cannot be removed from chat; an admin added from chat can
//   remove any such admin, themselves included, except the last one when the config names
//   none (so someone can always administer duplex).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/command_service.h"
#include "core/routing/route.h"

namespace duplex {

void RegisterAdminCommands(CommandService& service);

// `route add` arguments after "add": `<name> channel=<#chan> [key=value]…`, tokenized
// strictly (quotes group words; an unterminated quote is an error). Checks every key and
// value, including the regex (RE2's message) and platform names against `known_platforms`.
// InvalidArgument with a message for the admin; the caller adds the usage line.
Result<Route> ParseRouteSpec(std::string_view text,
                             const std::vector<std::string>& known_platforms);

// Undoes Slack's escaping of free text: <https://x|label> → label, <https://x> → https://x,
// then &lt; &gt; &amp; → < > &. Other <…> sequences (mentions) are left as they are.
std::string DecodeChatText(std::string_view text);

}  // namespace duplex
