// Slack: the dialect (mrkdwn escapes, <@U…> mentions) and the poster that calls
// chat.postMessage (and chat.update for thread roots) with Block Kit plus a plain-text
// fallback.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "chat/chat.h"
#include "core/http_client.h"

namespace duplex {

class SlackDialect final : public ChatDialect {
 public:
  std::string Escape(const std::string& text) const override;
  std::string User(const std::string& user_id) const override { return "<@" + user_id + ">"; }
  std::string Channel(const std::string& id) const override { return "<#" + id + ">"; }
  std::string ToPlain(const std::string& chat_text) const override;
  std::size_t MaxPostChars() const override { return 3000; }
  // <!date^…> renders in each reader's time zone; the fallback is UTC.
  std::string Time(UnixMs at) const override;
  // U… or W… followed by capitals and digits.
  bool IsUserId(const std::string& id) const override;

 private:
  std::string LinkTo(const std::string& url, const std::string& label) const override;
};

struct SlackConfig {
  std::string api_base = "https://slack.com/api";
  std::string bot_token;
  std::string ca_file;
  int timeout_ms = 10'000;
};

class SlackPoster final : public ChatPoster {
 public:
  SlackPoster(SlackConfig config, HttpClient& http) : config_(std::move(config)), http_(http) {}
  const ChatDialect& Dialect() const override { return dialect_; }
  DeliveryOutcome Post(const ChatMessage& message) override;
  // chat.update of the message `post_id` (its ts) in message.channel.
  DeliveryOutcome Update(const ChatMessage& message, const std::string& post_id) override;

  // views.open: shows a modal in answer to an interaction (within its trigger's 3 s).
  DeliveryOutcome OpenView(const std::string& trigger_id, const nlohmann::json& view);
  // Posts an ephemeral `text` to an interaction's response_url. Only Slack's own hooks host
  // (or the api_base host, for tests) is called, and without the bot token.
  DeliveryOutcome Respond(const std::string& response_url, const std::string& text);

  // The JSON bodies chat.postMessage and chat.update get (exposed for tests).
  std::string BuildPostBody(const ChatMessage& message) const;
  std::string BuildUpdateBody(const ChatMessage& message, const std::string& post_id) const;

 private:
  nlohmann::json BuildContent(const ChatMessage& message) const;
  DeliveryOutcome Call(const std::string& method, std::string body, int timeout_ms);

  SlackConfig config_;
  HttpClient& http_;
  SlackDialect dialect_;
};

// Interactivity: the buttons on a thread root and the reply modal. Button values and the
// modal's private_metadata carry the conversation ref.
inline constexpr const char* kActionReply = "duplex_reply";
inline constexpr const char* kActionAssignMe = "duplex_assign_me";
inline constexpr const char* kActionClose = "duplex_close";
inline constexpr const char* kActionReopen = "duplex_reopen";
inline constexpr const char* kReplyModalCallback = "duplex_reply_modal";
inline constexpr const char* kReplyBlock = "duplex_reply_block";
inline constexpr const char* kReplyInput = "duplex_reply_text";

nlohmann::json RootButtons(const MentionCard& card);
nlohmann::json ReplyModal(std::int64_t ref, const std::string& author);

// Maps a Slack Web API answer ({"ok":false,"error":…} or an HTTP failure) to an outcome.
DeliveryOutcome ClassifySlackAnswer(const HttpResult& result);

}  // namespace duplex
