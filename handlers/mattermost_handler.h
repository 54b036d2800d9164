// POST /chat/mattermost/commands: the slash command token (one per command: /duplex and
// /reply each have their own), the team, then the command. Answered with the ephemeral text.
#pragma once

#include <string>
#include <vector>

#include "chat/mattermost/mattermost_poster.h"
#include "commands/command_service.h"
#include "core/http_types.h"
#include "handlers/http_answer.h"

namespace duplex {

struct MattermostHandlerDeps {
  std::vector<std::string> command_tokens;
  std::string team_id;  // only this team's commands run; empty: none do
  CommandService* commands = nullptr;
  MattermostDirectory* directory = nullptr;
};

// The answer in Mattermost's dialect: the text cut to one post's length (kMattermostPostMax).
std::string MattermostCommandResponse(const CommandAnswer& answer);

HttpAnswer HandleMattermostCommand(const InboundRequest& request, MattermostHandlerDeps& deps);

}  // namespace duplex
