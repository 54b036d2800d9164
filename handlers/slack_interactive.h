// Slack interactivity and the Events API:
//   POST /chat/slack/interactions — the buttons on a thread root (Reply / Assign to me / Close /
//     Reopen) and the reply modal's submission; a form whose one field `payload` is JSON.
//   POST /chat/slack/events — url_verification, then thread messages, handed to
//     commands/thread_messages.h (`reply: …` goes to the customer, any other human message is
//     kept as a note); an @mention of duplex is the same (slack_messages.h), and one outside
//     a conversation's thread gets a short ephemeral answer. Bot messages and edits are
//     ignored; one Slack message is acted on once, whichever events carry it.
// Both are signed like slash commands (v0) and refused from another workspace. Every action
// runs as the same command a user could type, so roles, the audit log and the answers match.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "commands/command_service.h"
#include "commands/thread_messages.h"
#include "core/http_types.h"
#include "handlers/http_answer.h"

namespace duplex {

struct SlackInteractiveDeps {
  std::string signing_secret;
  std::string team_id;  // empty: any workspace
  CommandService* commands = nullptr;
  ThreadMessageDeps threads;  // messages written in a conversation's thread
  // views.open with the interaction's trigger_id; false when Slack refused or was unreachable.
  std::function<bool(const std::string& trigger_id, const nlohmann::json& view)> open_view;
  // Shows `text` to the user who clicked (the payload's response_url, ephemeral).
  std::function<void(const std::string& response_url, const std::string& text)> tell_user;
  // Shows `text` to `user` only, in `channel` (in the thread `thread_ts` unless empty).
  std::function<void(const std::string& channel, const std::string& user,
                     const std::string& thread_ts, const std::string& text)>
      tell_in_channel;
};

HttpAnswer HandleSlackInteraction(const InboundRequest& request, SlackInteractiveDeps& deps);
HttpAnswer HandleSlackEvent(const InboundRequest& request, SlackInteractiveDeps& deps);

}  // namespace duplex
