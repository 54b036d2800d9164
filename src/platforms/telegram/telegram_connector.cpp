#include "platforms/telegram/telegram_connector.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/config_section.h"
#include "core/json_fields.h"
#include "core/log.h"
#include "core/text.h"
#include "platforms/telegram/utf16.h"
#include "security/crypto.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex {

using nlohmann::json;

namespace {

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

std::optional<std::int64_t> IntField(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

// Upgrades remembered at once; past this the cache starts over (Telegram's 400 refills it).
constexpr std::size_t kMaxMigrations = 10'000;

// Where replies go once a group became a supergroup. The message answered stayed in the old
// group (a supergroup numbers its messages anew), so a reply there is a plain message.
json MovedTarget(std::int64_t chat_id) {
  return json{{"chat_id", chat_id}};
}

}  // namespace

std::unique_ptr<PlatformConnector> MakeTelegramConnector(const json& config,
                                                         const std::string& path,
                                                         std::vector<std::string>& errors,
                                                         HttpClient* http) {
  const std::size_t errors_before = errors.size();
  ConfigSection s(config, path, errors);
  TelegramConfig c;
  c.bot_token = s.Required("bot_token");
  if (!c.bot_token.empty()) {
    const auto colon = c.bot_token.find(':');
    const bool ok =
        colon != std::string::npos && colon > 0 && colon + 1 < c.bot_token.size() &&
        std::all_of(c.bot_token.begin(), c.bot_token.begin() + static_cast<long>(colon), IsDigit) &&
        std::all_of(c.bot_token.begin() + static_cast<long>(colon) + 1, c.bot_token.end(),
                    IsTokenChar);
    if (ok) {
      c.bot_id = c.bot_token.substr(0, colon);
    } else {
      s.Error("bot_token", "must look like 123456789:AAE... (the token @BotFather gave you)");
    }
  }
  c.secret_token = s.Required("secret_token");
  if (!c.secret_token.empty() &&
      (c.secret_token.size() > 256 ||
       !std::all_of(c.secret_token.begin(), c.secret_token.end(), IsTokenChar))) {
    s.Error("secret_token", "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)");
  } else if (!c.secret_token.empty() && c.secret_token.size() < kMinSecretBytes) {
    // Telegram accepts a single character, but this header is all that tells its requests
    // from anyone else's.
    s.ShortSecret("secret_token", " (Telegram allows 1-256 characters; duplex wants 16 or more)");
  }
  c.api_base = s.Url("api_base", c.api_base);
  c.bot_username = s.String("bot_username");
  if (!c.bot_username.empty() && c.bot_username[0] == '@') c.bot_username.erase(0, 1);
  if (!c.bot_username.empty() &&
      !std::all_of(c.bot_username.begin(), c.bot_username.end(),
                   [](char ch) { return IsTokenChar(ch) && ch != '-'; })) {
    s.Error("bot_username", "must be the bot's username, letters, digits and _ only");
  }
  c.ca_file = s.String("ca_file");
  c.timeout_ms = static_cast<int>(s.Int("timeout_ms", c.timeout_ms, 100, 120'000));
  if (errors.size() != errors_before) return nullptr;
  return std::make_unique<TelegramConnector>(std::move(c), http);
}

TelegramConnector::TelegramConnector(TelegramConfig config, HttpClient* http)
    : config_(std::move(config)), http_(http) {}

std::string TelegramConnector::Redact(std::string s) const {
  if (config_.bot_token.empty()) return s;
  for (std::size_t pos = s.find(config_.bot_token); pos != std::string::npos;
       pos = s.find(config_.bot_token, pos)) {
    s.replace(pos, config_.bot_token.size(), "<bot-token>");
  }
  return s;
}

std::string TelegramConnector::MethodUrl(const char* method) const {
  return config_.api_base + "/bot" + config_.bot_token + "/" + method;
}

Status TelegramConnector::Verify(const InboundRequest& request) const {
  Status s = security::VerifySharedToken(config_.secret_token,
                                         request.Header("X-Telegram-Bot-Api-Secret-Token"));
  if (!s.ok()) return Status::Unauthenticated("X-Telegram-Bot-Api-Secret-Token: " + s.message());
  return s;
}

Result<std::string> TelegramConnector::BotUsername() const {
  if (!config_.bot_username.empty()) return config_.bot_username;
  std::lock_guard lock(mu_);
  if (!learned_username_.empty()) return learned_username_;
  const Status unavailable = Status::Unavailable(
      "cannot learn the bot's username from Telegram; set platforms.telegram.bot_username");
  if (http_ == nullptr) return unavailable;
  HttpRequest req;
  req.method = "GET";
  req.url = MethodUrl("getMe");
  req.timeout_ms = std::min(config_.timeout_ms, 5'000);  // Telegram waits for our answer
  req.ca_file = config_.ca_file;
  HttpResult res = http_->Send(req);
  auto answer = res.ok() ? json::parse(res.response.body, nullptr, false) : json();
  if (!res.ok() || res.response.status != 200 || !answer.is_object() ||
      !answer.contains("result") || !answer["result"].is_object() ||
      JsonString(answer["result"], "username").empty()) {
    log::Warn("Telegram getMe failed",
              {{"status", res.response.status}, {"error", Redact(res.error_message)}});
    return unavailable;
  }
  learned_username_ = JsonString(answer["result"], "username");
  log::Info("learned the Telegram bot's username", {{"username", learned_username_}});
  return learned_username_;
}

Status TelegramConnector::ValidateReply(const std::string& text,
                                        const std::string& /*conversation_key*/) const {
  if (text.empty()) return Status::Invalid("the reply text is empty");
  const std::size_t units = telegram::Utf16Length(text);
  if (units > kMaxTelegramTextUnits) {
    return Status::Invalid("Telegram allows 4096 characters in a message and this reply has " +
                           std::to_string(units) + " (emoji count 2); shorten it");
  }
  return Status::Ok();
}

void TelegramConnector::NoteMigration(std::int64_t from_chat, std::int64_t to_chat) const {
  if (from_chat == to_chat) return;
  std::lock_guard lock(migrated_mu_);
  if (migrated_.size() >= kMaxMigrations) migrated_.clear();
  migrated_[from_chat] = to_chat;
}

std::optional<std::int64_t> TelegramConnector::MigratedTo(std::int64_t chat) const {
  std::lock_guard lock(migrated_mu_);
  auto it = migrated_.find(chat);
  if (it == migrated_.end()) return std::nullopt;
  return it->second;
}

DeliveryOutcome TelegramConnector::SendReply(const ReplyRequest& reply, HttpClient& http) const {
  auto target = json::parse(reply.reply_target, nullptr, false);
  auto chat_id = target.is_object() ? IntField(target, "chat_id") : std::nullopt;
  if (!chat_id) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 "the Telegram message this replies to has no usable chat id");
  }
  // An upgrade already seen (service message, or an earlier reply's 400): go straight there
  // and have the delivery engine store the new target.
  std::string moved;
  if (auto to = MigratedTo(*chat_id)) {
    target = MovedTarget(*to);
    moved = target.dump();
  }
  DeliveryOutcome o = Send(target, reply.text, http);
  if (o.new_reply_target.empty()) o.new_reply_target = moved;
  return o;
}

DeliveryOutcome TelegramConnector::Send(const json& target, const std::string& text,
                                        HttpClient& http) const {
  const std::int64_t chat_id = *IntField(target, "chat_id");
  json body = {{"chat_id", chat_id}, {"text", text}};
  // Without allow_sending_without_reply, an answer to a message the customer deleted is
  // refused ("message to be replied not found"); with it, it arrives as a plain message.
  if (auto message_id = IntField(target, "message_id")) {
    body["reply_parameters"] = {{"message_id", *message_id}, {"allow_sending_without_reply", true}};
  }
  if (auto thread = IntField(target, "message_thread_id")) body["message_thread_id"] = *thread;
  HttpRequest req;
  req.url = MethodUrl("sendMessage");
  req.body = security::DumpJson(body);
  req.timeout_ms = config_.timeout_ms;
  req.ca_file = config_.ca_file;
  HttpResult res = http.Send(req);

  if (!res.ok()) {
    DeliveryOutcome o = ClassifyHttpFailure(res, "Telegram");
    o.error = Redact(o.error);
    return o;
  }
  const int status = res.response.status;
  auto answer = json::parse(res.response.body, nullptr, false);
  const bool refused = answer.is_object() && answer.contains("ok") && answer["ok"] == false;
  if (status >= 200 && status < 300 && !refused) {
    std::string remote_id, url;
    if (answer.is_object() && answer.contains("result") && answer["result"].is_object()) {
      if (auto sent = IntField(answer["result"], "message_id")) {
        remote_id = std::to_string(chat_id) + ":" + std::to_string(*sent);
        const std::string username = JsonString(target, "chat_username");
        if (!username.empty()) url = "https://t.me/" + username + "/" + std::to_string(*sent);
      }
    }
    return DeliveryOutcome::Done(remote_id, url);
  }
  std::string description = answer.is_object() ? JsonString(answer, "description") : "";
  description = Redact(text::TruncateUtf8(description, 300));
  const std::string suffix = description.empty() ? "" : ": " + description;
  const json* parameters =
      answer.is_object() && answer.contains("parameters") && answer["parameters"].is_object()
          ? &answer["parameters"]
          : nullptr;
  if (status == 429) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "Telegram rate limit (HTTP 429)" + suffix);
    if (parameters != nullptr) {
      if (auto wait = IntField(*parameters, "retry_after"); wait && *wait >= 0) {
        o.retry_after_ms = *wait * 1000;
      }
    }
    if (!o.retry_after_ms) o.retry_after_ms = ParseRetryAfterMs(res.response.Header("Retry-After"));
    return o;
  }
  if (status >= 500 || status == 408) {
    DeliveryOutcome o = ClassifyHttpFailure(res, "Telegram");
    o.error = Redact(o.error + suffix);
    return o;
  }
  if (status == 401 || status == 404) {
    auto o = DeliveryOutcome::Fail(
        OutcomeKind::kPermanent, "Telegram rejected the bot token (HTTP " + std::to_string(status) +
                                     suffix + "); check platforms.telegram.bot_token");
    o.auth_failure = true;
    return o;
  }
  auto migrate_to =
      parameters != nullptr ? IntField(*parameters, "migrate_to_chat_id") : std::nullopt;
  if (migrate_to && *migrate_to != chat_id) {
    // Refused, so certainly not posted: send it again to the supergroup, right away.
    NoteMigration(chat_id, *migrate_to);
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry,
                                   "the Telegram group became a supergroup (chat " +
                                       std::to_string(*migrate_to) + "); sending the reply there");
    o.retry_after_ms = 0;
    o.new_reply_target = MovedTarget(*migrate_to).dump();
    return o;
  }
  return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "Telegram refused the reply (HTTP " +
                                                            std::to_string(status) + ")" + suffix);
}

HttpRequest TelegramConnector::SampleWebhook(const std::string& base_url, const std::string& text,
                                             const std::string& event_id, UnixMs now) const {
  const std::string digest = security::Sha256(event_id);
  std::int64_t update_id = 0;
  for (int i = 0; i < 4; ++i) update_id = (update_id << 8) | static_cast<unsigned char>(digest[i]);
  update_id &= 0x7FFFFFFF;
  const std::int64_t customer = 111111111;
  json update = {{"update_id", update_id},
                 {"message",
                  {{"message_id", update_id % 100000 + 1},
                   {"from",
                    {{"id", customer},
                     {"is_bot", false},
                     {"first_name", "Ana"},
                     {"last_name", "Customer"},
                     {"username", "ana_customer"},
                     {"language_code", "en"}}},
                   {"chat",
                    {{"id", customer},
                     {"first_name", "Ana"},
                     {"last_name", "Customer"},
                     {"username", "ana_customer"},
                     {"type", "private"}}},
                   {"date", now / 1000},
                   {"text", text}}}};
  HttpRequest req;
  req.url = base_url + "/webhooks/telegram";
  req.body = security::DumpJson(update);
  req.headers = {{"X-Telegram-Bot-Api-Secret-Token", config_.secret_token}};
  return req;
}

}  // namespace duplex
