// POST /chat/slack/commands: Slack's ssl_check, v0 signature, workspace check, then the
// command. The answer is the ephemeral message itself, within Slack's 3 s.
#pragma once

#include <string>

#include "commands/command_service.h"
#include "core/clock.h"
#include "core/http_types.h"
#include "handlers/http_answer.h"

namespace duplex {

struct SlackHandlerDeps {
  std::string signing_secret;
  std::string team_id;  // empty: any workspace (console mode only)
  CommandService* commands = nullptr;
};

// The v0 signature (X-Slack-Signature over "v0:{timestamp}:{body}", 5-minute window).
Status VerifySlackRequest(const InboundRequest& request, const std::string& signing_secret);

HttpAnswer HandleSlackCommand(const InboundRequest& request, SlackHandlerDeps& deps);

// The answer in Slack's dialect: the text fitted to Slack's message limit, link previews off.
std::string SlackCommandResponse(const CommandAnswer& answer);

}  // namespace duplex
