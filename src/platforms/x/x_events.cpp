// XConnector::Parse: Account Activity payloads into mentions (see x_connector.h for the rules).
#include <set>

#include <nlohmann/json.hpp>

#include "platforms/x/x_connector.h"
#include "platforms/x/x_ids.h"
#include "security/untrusted_json.h"

namespace duplex {

using nlohmann::json;

namespace {

// An id field: a string of digits, never a JSON number (ids exceed 2^53).
Status GetId(const json& obj, const char* key, const std::string& path, std::string& out,
             bool required) {
  if (Status s = security::GetString(obj, key, path, out); !s.ok()) return s;
  if (out.empty()) {
    return required ? Status::Invalid(path + "." + key + " is required") : Status::Ok();
  }
  if (!x::IsNumericId(out)) return Status::Invalid(path + "." + key + " must be a numeric id");
  return Status::Ok();
}

const json* Member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

Status ReadAuthor(const json& user, const std::string& path, Author& author) {
  for (Status s : {security::GetString(user, "screen_name", path, author.handle),
                   security::GetString(user, "name", path, author.name),
                   security::GetInt(user, "followers_count", path, author.followers)}) {
    if (!s.ok()) return s;
  }
  if (author.handle.empty()) author.handle = author.id;
  return Status::Ok();
}

struct Context {
  std::set<std::string> own_ids;  // tweets and DMs from these are ours
  std::string account;
};

Result<std::optional<Mention>> ParseTweet(const json& t, const std::string& path,
                                          const Context& ctx) {
  if (!t.is_object()) return Status::Invalid(path + " must be an object");
  Mention m;
  m.platform = "x";
  m.account = ctx.account;
  if (Status s = GetId(t, "id_str", path, m.message_id, true); !s.ok()) return s;
  const json* user = Member(t, "user");
  if (user == nullptr || !user->is_object()) {
    return Status::Invalid(path + ".user must be an object");
  }
  if (Status s = GetId(*user, "id_str", path + ".user", m.author.id, true); !s.ok()) return s;
  if (ctx.own_ids.count(m.author.id)) return std::optional<Mention>();
  // A plain retweet repeats a tweet duplex already saw (or that was ours): nothing to answer.
  if (Member(t, "retweeted_status") != nullptr) return std::optional<Mention>();
  if (Status s = ReadAuthor(*user, path + ".user", m.author); !s.ok()) return s;

  const json* truncated = Member(t, "truncated");
  if (truncated != nullptr && !truncated->is_boolean()) {
    return Status::Invalid(path + ".truncated must be true or false");
  }
  const json* extended = Member(t, "extended_tweet");
  if (truncated != nullptr && truncated->get<bool>() && extended != nullptr) {
    if (!extended->is_object()) return Status::Invalid(path + ".extended_tweet must be an object");
    if (Status s = security::GetString(*extended, "full_text", path + ".extended_tweet", m.text);
        !s.ok()) {
      return s;
    }
  }
  if (m.text.empty()) {
    const char* field = Member(t, "text") != nullptr ? "text" : "full_text";
    if (Member(t, field) == nullptr) return Status::Invalid(path + ".text is required");
    if (Status s = security::GetString(t, field, path, m.text); !s.ok()) return s;
  }

  std::string reply_to_user;
  if (Status s = GetId(t, "in_reply_to_status_id_str", path, m.parent_message_id, false); !s.ok()) {
    return s;
  }
  if (Status s = GetId(t, "in_reply_to_user_id_str", path, reply_to_user, false); !s.ok()) return s;
  m.kind = ctx.own_ids.count(reply_to_user) ? MentionKind::kDirect : MentionKind::kMention;
  m.event_id = m.message_id;
  m.conversation_key = m.message_id;
  m.permalink = m.author.handle != m.author.id
                    ? "https://x.com/" + m.author.handle + "/status/" + m.message_id
                    : "https://x.com/i/web/status/" + m.message_id;
  m.reply_target = security::DumpJson(json{{"tweet_id", m.message_id}});
  return std::optional<Mention>(std::move(m));
}

Result<std::optional<Mention>> ParseDm(const json& e, const std::string& path, const json* users,
                                       const Context& ctx) {
  if (!e.is_object()) return Status::Invalid(path + " must be an object");
  std::string type;
  if (Status s = security::GetString(e, "type", path, type); !s.ok()) return s;
  if (type != "message_create") return std::optional<Mention>();
  Mention m;
  m.platform = "x";
  m.account = ctx.account;
  m.kind = MentionKind::kDm;
  if (Status s = security::GetString(e, "id", path, m.message_id); !s.ok()) return s;
  if (m.message_id.empty()) return Status::Invalid(path + ".id is required");
  const json* create = Member(e, "message_create");
  if (create == nullptr || !create->is_object()) {
    return Status::Invalid(path + ".message_create must be an object");
  }
  const std::string cpath = path + ".message_create";
  if (Status s = GetId(*create, "sender_id", cpath, m.author.id, true); !s.ok()) return s;
  if (ctx.own_ids.count(m.author.id)) return std::optional<Mention>();
  const json* data = Member(*create, "message_data");
  if (data == nullptr || !data->is_object()) {
    return Status::Invalid(cpath + ".message_data must be an object");
  }
  if (Status s = security::GetString(*data, "text", cpath + ".message_data", m.text); !s.ok()) {
    return s;
  }

  if (users != nullptr) {
    const json* user = Member(*users, m.author.id.c_str());
    if (user != nullptr) {
      if (!user->is_object()) {
        return Status::Invalid("body.users." + m.author.id + " must be an object");
      }
      if (Status s = ReadAuthor(*user, "body.users." + m.author.id, m.author); !s.ok()) return s;
    }
  }
  if (m.author.handle.empty()) m.author.handle = m.author.id;
  m.event_id = m.message_id;
  m.conversation_key = "dm:" + m.author.id;
  m.permalink = x::DmConversationUrl(ctx.account, m.author.id);
  m.reply_target = security::DumpJson(json{{"dm_participant_id", m.author.id}});
  return std::optional<Mention>(std::move(m));
}

}  // namespace

Result<ParsedWebhook> XConnector::Parse(const InboundRequest& request) const {
  auto parsed = security::ParseUntrustedJson(request.body);
  if (!parsed.ok()) return parsed.status();
  const json& body = *parsed;
  if (!body.is_object()) return Status::Invalid("body must be a JSON object");

  Context ctx;
  std::string for_user;
  if (Status s = GetId(body, "for_user_id", "body", for_user, false); !s.ok()) return s;
  if (!for_user.empty()) ctx.own_ids.insert(for_user);
  if (!config_.account_id.empty()) ctx.own_ids.insert(config_.account_id);
  ctx.account = !config_.account_id.empty() ? config_.account_id : for_user;

  const json* users = Member(body, "users");
  if (users != nullptr && !users->is_object()) {
    return Status::Invalid("body.users must be an object");
  }

  ParsedWebhook out;
  for (const char* key : {"tweet_create_events", "direct_message_events"}) {
    const json* events = Member(body, key);
    if (events == nullptr) continue;
    const std::string path = std::string("body.") + key;
    if (!events->is_array()) return Status::Invalid(path + " must be an array");
    const bool tweets = key == std::string("tweet_create_events");
    for (std::size_t i = 0; i < events->size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      auto m = tweets ? ParseTweet((*events)[i], item_path, ctx)
                      : ParseDm((*events)[i], item_path, users, ctx);
      if (!m.ok()) return m.status();
      if (m->has_value()) out.mentions.push_back(std::move(**m));
    }
  }
  return out;
}

}  // namespace duplex
