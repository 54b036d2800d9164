// The route verbs: route add|list|rm|enable|disable|test (docs/commands-admin.md).
//
// Guarantees:
// - A route change is committed, then the routes in force are reloaded (CommandDeps::
//   reload_routes) before the answer: the next webhook routes with it. Conversations that
//   already exist keep their channel and thread.
// - Values the chat escapes in command text (Slack: &amp; &lt; &gt;, <https://…|label>
//   links) are made plain (ChatDialect::ToPlain) before keywords, regexes and `route test`
//   text are used.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/chat.h"
#include "commands/command_service.h"
#include "core/routing/route.h"

namespace duplex {

void RegisterRouteCommands(CommandService& service);

// `route add` arguments after "add": `<name> channel=<#chan> [key=value]…`, tokenized
// strictly (quotes group words; an unterminated quote is an error). Checks every key and
// value, including the regex (RE2's message) and platform names against `known_platforms`.
// InvalidArgument with a message for the admin; the caller adds the usage line.
Result<Route> ParseRouteSpec(std::string_view text, const std::vector<std::string>& known_platforms,
                             const ChatDialect& dialect);

}  // namespace duplex
