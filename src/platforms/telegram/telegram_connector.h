// The `telegram` platform: a Telegram bot's webhook in, the Bot API's sendMessage out.
// Inbound (POST /webhooks/telegram):
//  - `X-Telegram-Bot-Api-Secret-Token` must equal the configured secret_token (constant time).
//  - `message` and `edited_message` updates become mentions: private chats → `dm`; groups
//    and supergroups → `mention`, but only when the message mentions the bot (a `mention`
//    entity "@<bot_username>", a `text_mention` of the bot, a "/command@<bot_username>") or
//    replies to one of the bot's messages. Entity offsets are UTF-16 units. The text is the
//    message's text, or a label for its attachment followed by its caption ("[photo] <caption>",
//    "[voice message 0:07]", telegram_media.h). Channel posts, other bots, service messages,
//    group chatter and other update types are acknowledged and ignored.
//  - An edit is Mention::edited, its text after kEditedMarker, in the conversation of the
//    original; its event id is "<message id>@edit:<edit_date>", so each version is posted
//    once. Position updates of a live location (edits of a location) are ignored.
//  - event id = update_id; message id = "<chat_id>:<message_id>" (message ids are per chat).
//    Conversation key: a private chat is one conversation ("<chat_id>"); in a group each
//    mention starts its own ("<chat_id>:<message_id>"), and a reply to a known message joins
//    that message's conversation (parent = the replied-to message, the bot's replies included).
//  - A group upgraded to a supergroup (service messages with migrate_to_chat_id /
//    migrate_from_chat_id) is remembered, so replies meant for the old chat go to the new one.
//  - The bot's id comes from the token ("<bot_id>:<secret>"); its username from bot_username,
//    or else from getMe, asked once when a group message first needs it (a failure answers
//    503 so Telegram delivers the update again).
// Outbound: POST {api_base}/bot<token>/sendMessage {"chat_id","text","reply_parameters":
// {"message_id","allow_sending_without_reply":true}}, so an answer to a deleted message still
// arrives. A 400 with parameters.migrate_to_chat_id (the group became a supergroup) is a
// retry, due at once, to the new chat, whose target DeliveryOutcome::new_reply_target hands
// to the delivery engine to store. 429 waits parameters.retry_after; other 400s and 403 are
// permanent with Telegram's description; 401/404 (bad token) are permanent auth failures; a
// timeout or 5xx is uncertain.
// The bot token is part of every API URL: no error message or log line ever contains it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platforms/platform.h"

namespace duplex {

// The platform's name: its key under `platforms` in the config, its webhook path
// (/webhooks/telegram), Name() and every Mention.platform it parses.
inline constexpr const char kTelegramPlatform[] = "telegram";

struct TelegramConfig {
  std::string bot_token;
  std::string bot_id;        // the token's numeric prefix
  std::string secret_token;  // 1-256 of [A-Za-z0-9_-]
  std::string api_base = "https://api.telegram.org";
  std::string bot_username;  // without '@'; empty: learned from getMe
  std::string ca_file;
  int timeout_ms = 10'000;
};

inline constexpr std::size_t kMaxTelegramTextUnits = 4096;  // UTF-16 code units

class TelegramConnector final : public PlatformConnector {
 public:
  // `http` serves getMe when bot_username is not configured; may be null (then group
  // mentions by username cannot be recognised without bot_username).
  TelegramConnector(TelegramConfig config, HttpClient* http);
  std::string Name() const override { return kTelegramPlatform; }
  std::string DisplayName() const override { return "Telegram"; }
  Status Verify(const InboundRequest& request) const override;
  Result<ParsedWebhook> Parse(const InboundRequest& request) const override;
  DeliveryOutcome SendReply(const ReplyRequest& reply, HttpClient& http) const override;
  Status ValidateReply(const std::string& text, const std::string& conversation_key) const override;
  HttpRequest SampleWebhook(const std::string& base_url, const std::string& text,
                            const std::string& event_id, UnixMs now) const override;

  // `s` with every occurrence of the bot token replaced by "<bot-token>".
  std::string Redact(std::string s) const;

 private:
  Result<std::string> BotUsername() const;
  std::string MethodUrl(const char* method) const;
  // One sendMessage to `target` (a reply target with a chat_id) and what its answer means.
  DeliveryOutcome Send(const nlohmann::json& target, const std::string& text,
                       HttpClient& http) const;
  // Group → supergroup upgrades seen in service messages or 400 answers. Only a shortcut:
  // after a restart the first reply to an old group learns it again from Telegram's 400.
  void NoteMigration(std::int64_t from_chat, std::int64_t to_chat) const;
  std::optional<std::int64_t> MigratedTo(std::int64_t chat) const;

  TelegramConfig config_;
  HttpClient* http_;
  mutable std::mutex mu_;  // held across getMe
  mutable std::string learned_username_;
  mutable std::mutex migrated_mu_;
  mutable std::unordered_map<std::int64_t, std::int64_t> migrated_;
};

std::unique_ptr<PlatformConnector> MakeTelegramConnector(const nlohmann::json& config,
                                                         const std::string& path,
                                                         std::vector<std::string>& errors,
                                                         HttpClient* http);

}  // namespace duplex
