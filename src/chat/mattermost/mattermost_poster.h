// Mattermost: the dialect (Markdown, @username mentions) and the poster that creates posts
// with POST /api/v4/posts, threads by root_id. Mattermost mentions people by username, so
// the dialect keeps a directory of the ids and names seen in slash commands.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "chat/chat.h"
#include "core/http_client.h"

namespace duplex {

// user id → username, learned from each slash command (Mattermost sends both).
class MattermostDirectory {
 public:
  void Learn(const std::string& user_id, const std::string& user_name);
  std::string NameOf(const std::string& user_id) const;  // empty if unknown

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> names_;
};

// Longest text duplex puts in one post or command answer (code points), under Mattermost's
// default post limit of 16,383.
inline constexpr std::size_t kMattermostPostMax = 16'000;

class MattermostDialect final : public ChatDialect {
 public:
  explicit MattermostDialect(const MattermostDirectory& directory) : directory_(directory) {}
  // Customer text reads exactly as written and does nothing else. Mattermost renders Markdown
  // (its fork of marked in the browser, CommonMark on the server and in the apps), so:
  // - the characters Markdown acts on (` * _ { } [ ] ( ) # + - . ! > | ~ \) get a backslash:
  //   no forged link, no image, no heading, list, table or quote;
  // - & < $ = become HTML entities (they cannot be backslash-escaped there): no HTML-like
  //   autolink, no LaTeX, no "===" heading;
  // - a ':' right after a scheme-like word ("https:", "mailto:", "tel:") becomes &#58;, and the
  //   backslash before '.' breaks "www." and "example.com/": customer text holds no clickable
  //   URL at all. Mattermost previews the first link of a post, images included, so a bare
  //   https://attacker/px.png would be fetched for every reader; the address stays readable.
  // - '@' and '~' are followed by a zero-width space: no @channel/@here/@all, no @user
  //   notification, no ~channel link.
  // Every escape is at most 5 characters and safe when a truncation cuts it.
  std::string Escape(const std::string& text) const override;
  // Backslashes are literal in a Markdown code span: only backticks and line breaks change.
  std::string Code(const std::string& text) const override;
  std::string User(const std::string& user_id) const override;
  std::string Channel(const std::string& id) const override { return "~" + id; }
  // Mattermost ids are 26 lower-case letters and digits.
  bool IsUserId(const std::string& id) const override;
  std::size_t MaxPostChars() const override { return kMattermostPostMax; }

 private:
  // [label](url), parentheses in the URL percent-encoded so they cannot close it.
  std::string LinkTo(const std::string& url, const std::string& label) const override;

  const MattermostDirectory& directory_;
};

struct MattermostConfig {
  std::string api_base;  // https://mm.example.com
  std::string bot_token;
  std::string ca_file;
  int timeout_ms = 10'000;
};

class MattermostPoster final : public ChatPoster {
 public:
  MattermostPoster(MattermostConfig config, HttpClient& http, const MattermostDirectory& directory)
      : config_(std::move(config)), http_(http), dialect_(directory) {}
  const ChatDialect& Dialect() const override { return dialect_; }
  DeliveryOutcome Post(const ChatMessage& message) override;
  // Edits a post in place: PUT /api/v4/posts/{id}/patch {"message"}.
  DeliveryOutcome Update(const ChatMessage& message, const std::string& post_id) override;

  std::string BuildPostBody(const ChatMessage& message) const;
  std::string MessageText(const ChatMessage& message) const;

 private:
  MattermostConfig config_;
  HttpClient& http_;
  MattermostDialect dialect_;
};

// Maps a Mattermost API answer to an outcome (201/200 with {"id"} is done).
DeliveryOutcome ClassifyMattermostAnswer(const HttpResult& result);

}  // namespace duplex
