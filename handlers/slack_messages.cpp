#include "handlers/slack_messages.h"

#include "core/log.h"

namespace duplex {

using nlohmann::json;

std::string SlackMessageClaim(const std::string& team, const std::string& channel,
                              const std::string& ts) {
  return team + ":" + channel + ":" + ts;
}

std::string SlackBotUser(const json& payload) {
  auto it = payload.find("authorizations");
  if (it == payload.end() || !it->is_array()) return "";
  for (const auto& a : *it) {
    if (!a.is_object() || !a.value("is_bot", false)) continue;
    auto user = a.find("user_id");
    if (user != a.end() && user->is_string()) return user->get<std::string>();
  }
  return "";
}

std::string WithoutBotMention(const std::string& text, const std::string& bot_user) {
  if (bot_user.empty()) return text;
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
  const std::string open = "<@" + bot_user;
  if (text.compare(i, open.size(), open) != 0) return text;
  i += open.size();
  if (i < text.size() && text[i] == '|') i = text.find('>', i);
  if (i == std::string::npos || i >= text.size() || text[i] != '>') return text;
  ++i;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
  return text.substr(i);
}

HttpAnswer AnswerStrayMention(const std::string& team, const std::string& channel,
                              const std::string& ts, const std::string& thread_ts,
                              const std::string& user, SlackInteractiveDeps& deps, UnixMs now) {
  auto first =
      ClaimStrayMessage({"slack-event", SlackMessageClaim(team, channel, ts)}, now, deps.threads);
  if (!first.ok()) return JsonError(500, "database unavailable");
  if (*first && deps.tell_in_channel)
    deps.tell_in_channel(channel, user, thread_ts, kStrayMentionAnswer);
  log::Info("slack mention outside a conversation's thread",
            {{"channel", channel}, {"user", user}});
  return {200, "text/plain", "", {}};
}

}  // namespace duplex
