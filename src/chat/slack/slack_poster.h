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
  std::string Link(const std::string& url, const std::string& label) const override;
  std::string ToPlain(const std::string& chat_text) const override;
  std::size_t MaxPostChars() const override { return 3000; }
  // <!date^…> renders in each reader's time zone; the fallback is UTC.
  std::string Time(UnixMs at) const override;
  // U… or W… followed by capitals and digits.
  bool IsUserId(const std::string& id) const override;
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

  // The JSON bodies chat.postMessage and chat.update get (exposed for tests).
  std::string BuildPostBody(const ChatMessage& message) const;
  std::string BuildUpdateBody(const ChatMessage& message, const std::string& post_id) const;

 private:
  nlohmann::json BuildContent(const ChatMessage& message) const;
  DeliveryOutcome Call(const std::string& method, std::string body);

  SlackConfig config_;
  HttpClient& http_;
  SlackDialect dialect_;
};

// Maps a Slack Web API answer ({"ok":false,"error":…} or an HTTP failure) to an outcome.
DeliveryOutcome ClassifySlackAnswer(const HttpResult& result);

}  // namespace duplex
