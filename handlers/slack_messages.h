// The Slack messages the Events API delivers to HandleSlackEvent, beyond their JSON: which
// events are one message, what an @mention of duplex means, and the answer to one written
// outside duplex's threads.
//
// Slack sends one message up to twice — as `message` (message.channels / message.groups)
// and, when it mentions the app, as `app_mention` — each with its own event_id, and resends
// either when not acknowledged. The claim is therefore the message itself (workspace,
// channel, ts): whichever event comes first acts, the others change nothing.
//
// A leading mention of duplex is not part of what was said to it: "@duplex reply: on its
// way" in a conversation's thread is the reply "on its way", "@duplex courier called" the
// note "courier called", by either event. An @mention of duplex anywhere else gets a short
// ephemeral answer, once.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "handlers/http_answer.h"
#include "handlers/slack_interactive.h"

namespace duplex {

// The ClaimEvent key of the message `ts` in `channel` of workspace `team`.
std::string SlackMessageClaim(const std::string& team, const std::string& channel,
                              const std::string& ts);

// The bot user the event was delivered for: the user_id of an `authorizations` entry with
// is_bot true; empty when the payload has none.
std::string SlackBotUser(const nlohmann::json& payload);

// `text` without a leading <@bot_user> (or <@bot_user|name>) and the spaces after it;
// unchanged when it does not start with that mention or bot_user is empty.
std::string WithoutBotMention(const std::string& text, const std::string& bot_user);

// What an @mention of duplex outside a conversation's thread is told (ephemeral).
inline constexpr const char* kStrayMentionAnswer =
    "duplex works in the threads of its conversations: there, `reply: …` answers the customer "
    "and anything else is an internal note. Elsewhere, type `/duplex help`.";

// An app_mention by `user` in `channel` (in the thread `thread_ts`, empty at top level) that is
// not in a conversation's thread: claimed, then answered with kStrayMentionAnswer through
// deps.tell_in_channel.
HttpAnswer AnswerStrayMention(const std::string& team, const std::string& channel,
                              const std::string& ts, const std::string& thread_ts,
                              const std::string& user, SlackInteractiveDeps& deps, UnixMs now);

}  // namespace duplex
