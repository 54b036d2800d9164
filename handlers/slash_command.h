// Slash commands as chats send them: a form POST whose fields (team_id, channel_id, user_id,
// user_name, command, text, trigger_id) Slack and Mattermost name alike, answered with
// {"response_type": "ephemeral" | "in_channel", "text": …}. Each chat's handler verifies the
// request, reads the form into the chat-neutral CommandContext with SlashCommandContext, and
// writes the CommandAnswer in its own dialect (limits and extra fields) with
// SlashCommandResponse.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "chat/form.h"
#include "commands/command_service.h"

namespace duplex {

CommandContext SlashCommandContext(const Form& form);

// The answer's JSON: response_type from answer.in_channel, `text` (already fitted to the
// chat's limits), then the chat's own `extra` fields.
std::string SlashCommandResponse(const CommandAnswer& answer, const std::string& text,
                                 const nlohmann::json& extra = nlohmann::json::object());

}  // namespace duplex
