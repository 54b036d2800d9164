// TelegramConnector::Parse: Bot API updates into mentions (see telegram_connector.h).
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "platforms/telegram/telegram_connector.h"
#include "platforms/telegram/telegram_media.h"
#include "platforms/telegram/utf16.h"
#include "security/untrusted_json.h"

namespace duplex {

using nlohmann::json;

namespace {

const json* Member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

Status RequireInt(const json& obj, const char* key, const std::string& path, std::int64_t& out) {
  std::optional<std::int64_t> v;
  if (Status s = security::GetInt(obj, key, path, v); !s.ok()) return s;
  if (!v) return Status::Invalid(path + "." + key + " is required");
  out = *v;
  return Status::Ok();
}

Status RequireObject(const json& obj, const char* key, const std::string& path, const json*& out) {
  out = Member(obj, key);
  if (out == nullptr || !out->is_object()) {
    return Status::Invalid(path + "." + key + " must be an object");
  }
  return Status::Ok();
}

// What a group message says to the bot, from its entities.
struct Addressing {
  bool to_bot = false;          // a text_mention of the bot, or a reply to the bot
  bool needs_username = false;  // has @mentions or /commands to compare with our username
};

}  // namespace

Result<ParsedWebhook> TelegramConnector::Parse(const InboundRequest& request) const {
  auto parsed = security::ParseUntrustedJson(request.body);
  if (!parsed.ok()) return parsed.status();
  const json& body = *parsed;
  if (!body.is_object()) return Status::Invalid("body must be a JSON object");
  std::int64_t update_id = 0;
  if (Status s = RequireInt(body, "update_id", "body", update_id); !s.ok()) return s;

  ParsedWebhook out;
  bool edited = false;
  const char* key = "message";
  const json* msg = Member(body, key);
  if (msg == nullptr) {
    key = "edited_message";
    msg = Member(body, key);
    edited = true;
  }
  if (msg == nullptr) return out;  // channel posts, callbacks, member updates...
  const std::string path = std::string("body.") + key;
  if (!msg->is_object()) return Status::Invalid(path + " must be an object");

  const json* chat = nullptr;
  if (Status s = RequireObject(*msg, "chat", path, chat); !s.ok()) return s;
  std::int64_t chat_id = 0, message_id = 0;
  std::string chat_type, chat_username;
  for (Status s : {RequireInt(*chat, "id", path + ".chat", chat_id),
                   security::GetString(*chat, "type", path + ".chat", chat_type),
                   security::GetString(*chat, "username", path + ".chat", chat_username),
                   RequireInt(*msg, "message_id", path, message_id)}) {
    if (!s.ok()) return s;
  }
  const bool is_private = chat_type == "private";
  if (!is_private && chat_type != "group" && chat_type != "supergroup") return out;

  // A group upgraded to a supergroup announces it in both chats: the old one names the new
  // id, the new one the old id. Replies to the old chat go to the new one from now on.
  std::optional<std::int64_t> migrate_to, migrate_from;
  for (Status s : {security::GetInt(*msg, "migrate_to_chat_id", path, migrate_to),
                   security::GetInt(*msg, "migrate_from_chat_id", path, migrate_from)}) {
    if (!s.ok()) return s;
  }
  if (migrate_to || migrate_from) {
    if (migrate_to) NoteMigration(chat_id, *migrate_to);
    if (migrate_from) NoteMigration(*migrate_from, chat_id);
    return out;
  }
  // A live location's position updates arrive as edits every few seconds.
  if (edited && telegram::IsLocation(*msg)) return out;

  const json* from = Member(*msg, "from");
  if (from == nullptr) return out;  // sent on behalf of a channel or chat
  if (!from->is_object()) return Status::Invalid(path + ".from must be an object");
  std::int64_t from_id = 0;
  if (Status s = RequireInt(*from, "id", path + ".from", from_id); !s.ok()) return s;
  const json* is_bot = Member(*from, "is_bot");
  if (is_bot != nullptr && !is_bot->is_boolean()) {
    return Status::Invalid(path + ".from.is_bot must be true or false");
  }
  if (is_bot != nullptr && is_bot->get<bool>()) return out;  // other bots, anonymous admins

  // Entities are matched against the text or the caption they belong to; what chat shows
  // is that, after a label for any attachment ("[photo] <caption>").
  std::string text;
  const char* entities_key = "entities";
  if (Status s = security::GetString(*msg, "text", path, text); !s.ok()) return s;
  const std::string media = text.empty() ? telegram::DescribeMedia(*msg) : "";
  if (text.empty()) {
    if (Status s = security::GetString(*msg, "caption", path, text); !s.ok()) return s;
    entities_key = "caption_entities";
  }
  if (text.empty() && media.empty()) return out;  // service messages, games, invoices...

  std::int64_t reply_to_id = 0;
  Addressing addressing;
  if (const json* reply_to = Member(*msg, "reply_to_message"); reply_to != nullptr) {
    if (!reply_to->is_object()) {
      return Status::Invalid(path + ".reply_to_message must be an object");
    }
    if (Status s = RequireInt(*reply_to, "message_id", path + ".reply_to_message", reply_to_id);
        !s.ok()) {
      return s;
    }
    if (const json* to = Member(*reply_to, "from"); to != nullptr && to->is_object()) {
      std::optional<std::int64_t> to_id;
      if (Status s = security::GetInt(*to, "id", path + ".reply_to_message.from", to_id); !s.ok()) {
        return s;
      }
      addressing.to_bot = to_id && std::to_string(*to_id) == config_.bot_id;
    }
  }

  // Mentions are matched on the entity's own slice of the text: offsets count UTF-16 units.
  std::vector<std::string> named;  // "@name" mentions and "/cmd@name" commands, lower-cased
  if (const json* entities = Member(*msg, entities_key); entities != nullptr) {
    const std::string epath = path + "." + entities_key;
    if (!entities->is_array()) return Status::Invalid(epath + " must be an array");
    for (std::size_t i = 0; i < entities->size(); ++i) {
      const json& e = (*entities)[i];
      const std::string ipath = epath + "[" + std::to_string(i) + "]";
      if (!e.is_object()) return Status::Invalid(ipath + " must be an object");
      std::string type;
      std::int64_t offset = 0, length = 0;
      for (Status s :
           {security::GetString(e, "type", ipath, type), RequireInt(e, "offset", ipath, offset),
            RequireInt(e, "length", ipath, length)}) {
        if (!s.ok()) return s;
      }
      if (type == "text_mention") {
        if (const json* user = Member(e, "user"); user != nullptr && user->is_object()) {
          std::optional<std::int64_t> uid;
          if (Status s = security::GetInt(*user, "id", ipath + ".user", uid); !s.ok()) return s;
          if (uid && std::to_string(*uid) == config_.bot_id) addressing.to_bot = true;
        }
      } else if (type == "mention" || type == "bot_command") {
        auto slice = telegram::Utf16Slice(text, offset, length);
        if (!slice) return Status::Invalid(ipath + " lies outside the text");
        std::string lower = text::ToLowerAscii(*slice);
        if (type == "bot_command") {
          auto at = lower.find('@');
          if (at == std::string::npos) continue;  // "/start" without a name: not addressed to us
          lower = lower.substr(at);
        }
        named.push_back(lower);
        addressing.needs_username = true;
      }
    }
  }

  if (!is_private && !addressing.to_bot) {
    if (!addressing.needs_username) return out;
    auto username = BotUsername();
    if (!username.ok()) return username.status();
    const std::string ours = "@" + text::ToLowerAscii(*username);
    bool mentioned = false;
    for (const auto& n : named) mentioned = mentioned || n == ours;
    if (!mentioned) return out;
  }

  Mention m;
  m.platform = kTelegramPlatform;
  m.account = config_.bot_id;
  m.event_id = std::to_string(update_id);
  m.kind = is_private ? MentionKind::kDm : MentionKind::kMention;
  m.author.id = std::to_string(from_id);
  std::string first, last;
  for (Status s : {security::GetString(*from, "username", path + ".from", m.author.handle),
                   security::GetString(*from, "first_name", path + ".from", first),
                   security::GetString(*from, "last_name", path + ".from", last)}) {
    if (!s.ok()) return s;
  }
  if (m.author.handle.empty()) m.author.handle = m.author.id;
  m.author.name = last.empty() ? first : first + " " + last;
  m.text = media.empty() ? text : text.empty() ? media : media + " " + text;
  const std::string chat_key = std::to_string(chat_id);
  m.message_id = chat_key + ":" + std::to_string(message_id);
  if (edited) {
    // Each version once: Telegram stamps every edit with its time (seconds).
    std::optional<std::int64_t> edit_date;
    if (Status s = security::GetInt(*msg, "edit_date", path, edit_date); !s.ok()) return s;
    m.edited = true;
    m.text = kEditedMarker + m.text;
    m.event_id = m.message_id + "@edit:" + std::to_string(edit_date.value_or(update_id));
  }
  m.conversation_key = is_private ? chat_key : m.message_id;
  if (!is_private && reply_to_id != 0) {
    m.parent_message_id = chat_key + ":" + std::to_string(reply_to_id);
  }
  // A private chat's username is the customer's own: there are no links to private messages.
  if (is_private) chat_username.clear();
  if (!chat_username.empty()) {
    m.permalink = "https://t.me/" + chat_username + "/" + std::to_string(message_id);
  } else if (chat_type == "supergroup" && text::StartsWith(chat_key, "-100")) {
    m.permalink =
        "https://t.me/c/" + chat_key.substr(4) + "/" + std::to_string(message_id);  // members only
  }
  json target = {{"chat_id", chat_id}, {"message_id", message_id}};
  if (!chat_username.empty()) target["chat_username"] = chat_username;
  if (const json* topic = Member(*msg, "is_topic_message");
      topic != nullptr && topic->is_boolean() && topic->get<bool>()) {
    std::optional<std::int64_t> thread;
    if (Status s = security::GetInt(*msg, "message_thread_id", path, thread); !s.ok()) return s;
    if (thread) target["message_thread_id"] = *thread;
  }
  m.reply_target = security::DumpJson(target);
  out.mentions.push_back(std::move(m));
  return out;
}

}  // namespace duplex
