// Slack: the dialect (mrkdwn escapes, <@U…> mentions) and the poster that calls
// chat.postMessage with Block Kit plus a plain-text fallback.
#pragma once

#include <string>

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

  // The JSON body chat.postMessage gets for `message` (exposed for tests).
  std::string BuildPostBody(const ChatMessage& message) const;

 private:
  SlackConfig config_;
  HttpClient& http_;
  SlackDialect dialect_;
};

// Maps a Slack Web API answer ({"ok":false,"error":…} or an HTTP failure) to an outcome.
DeliveryOutcome ClassifySlackAnswer(const HttpResult& result);

}  // namespace duplex
