// Slack: the dialect (mrkdwn escapes, <@U…> mentions) and the poster that calls
// chat.postMessage (and chat.update for thread roots) with Block Kit plus a plain-text
// fallback. Every text is cut to Slack's limits after escaping (slack_limits.h); when Slack
// refuses the blocks all the same, the message goes out as plain text instead of not at all.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chat/chat.h"
#include "chat/slack/slack_directory.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/metrics.h"

namespace duplex {

class SlackDialect final : public ChatDialect {
 public:
  // `directory` names the people staff mention (<@U…>) in text made plain; without one they
  // are left out.
  explicit SlackDialect(SlackDirectory* directory = nullptr) : directory_(directory) {}
  std::string Escape(const std::string& text) const override;
  std::string User(const std::string& user_id) const override { return "<@" + user_id + ">"; }
  std::string Channel(const std::string& id) const override { return "<#" + id + ">"; }
  // Text a person typed in Slack, as the customer should read it: entities undone; a link is
  // its address (or "label (address)"); a person is their name — the label Slack sent
  // (<@U…|ana>) or their Slack display name (users.info, within kNameLookupBudgetMs in all),
  // else nothing, never the raw id; <#C…|general> is the word "general"; <!here>, <!channel>,
  // <!everyone> are the plain words. No "@" or "#" is added, so nothing becomes a mention or a
  // hashtag on the customer's platform.
  std::string ToPlain(const std::string& chat_text) const override;
  static constexpr int kNameLookupBudgetMs = 1'500;
  std::size_t MaxPostChars() const override { return 3000; }
  // <!date^…> renders in each reader's time zone; the fallback is UTC.
  std::string Time(UnixMs at) const override;
  // U… or W… followed by capitals and digits.
  bool IsUserId(const std::string& id) const override;

 private:
  std::string LinkTo(const std::string& url, const std::string& label) const override;
  // The name for <@id> in plain text; empty when unknown.
  std::string PersonName(const std::string& id, int timeout_ms) const;

  SlackDirectory* directory_;
};

struct SlackConfig {
  std::string api_base = "https://slack.com/api";
  std::string bot_token;
  std::string ca_file;
  int timeout_ms = 10'000;
};

class SlackPoster final : public ChatPoster {
 public:
  // `clock` (default: the system clock) dates the directory's names; `metrics`, when given,
  // counts duplex_slack_plain_fallbacks_total.
  SlackPoster(SlackConfig config, HttpClient& http, const Clock* clock = nullptr,
              Metrics* metrics = nullptr);
  // The dialect and the directory point into this object.
  SlackPoster(const SlackPoster&) = delete;
  SlackPoster& operator=(const SlackPoster&) = delete;
  const ChatDialect& Dialect() const override { return dialect_; }
  // chat.postMessage. A card whose blocks Slack refuses (IsBlocksRefusal) is posted again as
  // its plain text, logged and counted, so the message still reaches the channel.
  DeliveryOutcome Post(const ChatMessage& message) override;
  // chat.update of the message `post_id` (its ts) in message.channel; the same fallback.
  DeliveryOutcome Update(const ChatMessage& message, const std::string& post_id) override;

  // views.open: shows a modal in answer to an interaction (within its trigger's 3 s).
  DeliveryOutcome OpenView(const std::string& trigger_id, const nlohmann::json& view);
  // Posts an ephemeral `text` to an interaction's response_url. Only Slack's own hooks hosts
  // (https://hooks.slack.com, GovSlack's https://hooks.slack-gov.com) or the api_base host (for
  // tests) are called, and without the bot token.
  DeliveryOutcome Respond(const std::string& response_url, const std::string& text);
  // chat.postEphemeral: `text` shown only to `user` in `channel` (in the thread `thread_ts`
  // when not empty).
  DeliveryOutcome PostEphemeral(const std::string& channel, const std::string& user,
                                const std::string& thread_ts, const std::string& text);
  // users.info: the name Slack shows for `user_id` (profile display name, else real name,
  // else user name); nullopt when Slack gives none within `timeout_ms`.
  std::optional<std::string> LookUpUserName(const std::string& user_id, int timeout_ms);

  // The JSON bodies chat.postMessage and chat.update get (exposed for tests). `plain`: the
  // text alone, no blocks (the fallback).
  std::string BuildPostBody(const ChatMessage& message, bool plain = false) const;
  std::string BuildUpdateBody(const ChatMessage& message, const std::string& post_id,
                              bool plain = false) const;

 private:
  nlohmann::json BuildContent(const ChatMessage& message, bool plain) const;
  HttpResult Send(const std::string& method, std::string body, int timeout_ms);
  DeliveryOutcome Call(const std::string& method, std::string body, int timeout_ms);
  // Sends `body`; when Slack refuses its blocks, sends `plain_body` instead.
  DeliveryOutcome CallWithPlainFallback(const std::string& method, const ChatMessage& message,
                                        std::string body, std::string plain_body);

  SlackConfig config_;
  HttpClient& http_;
  SystemClock system_clock_;
  Metrics* metrics_;
  SlackDirectory directory_;
  SlackDialect dialect_;
};

// Whether a Slack error means the blocks were refused, not the message: invalid_blocks,
// invalid_blocks_format, msg_blocks_too_long, msg_too_long, invalid_arguments.
bool IsBlocksRefusal(const std::string& slack_error);

// The `error` of a Slack Web API answer ({"ok":false,"error":…}); empty when the call succeeded
// or the answer is not Slack's JSON.
std::string SlackErrorOf(const HttpResult& result);

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
