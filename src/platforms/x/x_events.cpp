// XConnector::Parse: X Activity API and Account Activity API payloads into mentions (see
// x_connector.h for the rules).
#include <set>

#include <nlohmann/json.hpp>

#include "core/log.h"
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

// A user object in the shapes X sends: v1.1 (screen_name, followers_count) or v2 (username,
// public_metrics.followers_count), either of them possibly wrapped in {"data": …}.
// `author.handle` stays empty when the object names no handle.
Status ReadAuthor(const json& user, std::string path, Author& author) {
  const json* obj = &user;
  if (const json* inner = Member(user, "data"); inner != nullptr && inner->is_object()) {
    obj = inner;
    path += ".data";
  }
  const bool v2 = obj->contains("username") || obj->contains("public_metrics");
  if (Status s = security::GetString(*obj, v2 ? "username" : "screen_name", path, author.handle);
      !s.ok()) {
    return s;
  }
  if (Status s = security::GetString(*obj, "name", path, author.name); !s.ok()) return s;
  if (!v2) return security::GetInt(*obj, "followers_count", path, author.followers);
  const json* metrics = Member(*obj, "public_metrics");
  if (metrics == nullptr) return Status::Ok();
  if (!metrics->is_object()) return Status::Invalid(path + ".public_metrics must be an object");
  return security::GetInt(*metrics, "followers_count", path + ".public_metrics", author.followers);
}

struct Context {
  std::set<std::string> own_ids;  // posts and DMs from these are ours
  std::string account;
};

std::string PostPermalink(const Author& author, const std::string& post_id) {
  return author.handle != author.id ? "https://x.com/" + author.handle + "/status/" + post_id
                                    : "https://x.com/i/web/status/" + post_id;
}

Result<std::optional<Mention>> ParseTweet(const json& t, const std::string& path,
                                          const Context& ctx) {
  if (!t.is_object()) return Status::Invalid(path + " must be an object");
  Mention m;
  m.platform = kXPlatform;
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
  if (m.author.handle.empty()) m.author.handle = m.author.id;

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
  m.permalink = PostPermalink(m.author, m.message_id);
  m.reply_target = security::DumpJson(json{{"tweet_id", m.message_id}});
  return std::optional<Mention>(std::move(m));
}

// `users` maps user ids to user objects (both APIs send that map with DMs). The author's
// handle stays empty when the map does not know them.
Result<std::optional<Mention>> ParseDm(const json& e, const std::string& path, const json* users,
                                       const std::string& users_path, const Context& ctx) {
  if (!e.is_object()) return Status::Invalid(path + " must be an object");
  std::string type;
  if (Status s = security::GetString(e, "type", path, type); !s.ok()) return s;
  if (type != "message_create") return std::optional<Mention>();
  Mention m;
  m.platform = kXPlatform;
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
      const std::string upath = users_path + "." + m.author.id;
      if (!user->is_object()) return Status::Invalid(upath + " must be an object");
      if (Status s = ReadAuthor(*user, upath, m.author); !s.ok()) return s;
    }
  }
  m.event_id = m.message_id;
  m.conversation_key = "dm:" + m.author.id;
  m.permalink = x::DmConversationUrl(ctx.account, m.author.id);
  m.reply_target = security::DumpJson(json{{"dm_participant_id", m.author.id}});
  return std::optional<Mention>(std::move(m));
}

// The X Activity API event types that become mentions; the rest are acknowledged.
enum class ActivityKind { kIgnored, kMention, kReply, kDm };

ActivityKind KindOf(const std::string& event_type) {
  if (event_type == "post.mention.create") return ActivityKind::kMention;
  if (event_type == "post.reply.create") return ActivityKind::kReply;
  if (event_type == "dm.received") return ActivityKind::kDm;
  return ActivityKind::kIgnored;
}

// A v2 post (X API v2 Post object). The author's handle stays empty unless `includes`
// carries their profile.
Result<std::optional<Mention>> ParsePost(const json& p, const std::string& path,
                                         const json* includes, bool reply_event,
                                         const Context& ctx) {
  Mention m;
  m.platform = kXPlatform;
  m.account = ctx.account;
  if (Status s = GetId(p, "id", path, m.message_id, true); !s.ok()) return s;
  if (Status s = GetId(p, "author_id", path, m.author.id, true); !s.ok()) return s;
  if (ctx.own_ids.count(m.author.id)) return std::optional<Mention>();

  // X is renaming referenced_tweets to referenced_posts: either may come.
  std::string replied_to;
  for (const char* key : {"referenced_tweets", "referenced_posts"}) {
    const json* refs = Member(p, key);
    if (refs == nullptr) continue;
    const std::string rpath = path + "." + key;
    if (!refs->is_array()) return Status::Invalid(rpath + " must be an array");
    for (std::size_t i = 0; i < refs->size(); ++i) {
      const std::string item = rpath + "[" + std::to_string(i) + "]";
      const json& ref = (*refs)[i];
      if (!ref.is_object()) return Status::Invalid(item + " must be an object");
      std::string type, id;
      if (Status s = security::GetString(ref, "type", item, type); !s.ok()) return s;
      if (Status s = GetId(ref, "id", item, id, true); !s.ok()) return s;
      // A plain repost repeats a post duplex already saw (or that was ours).
      if (type == "retweeted") return std::optional<Mention>();
      if (type == "replied_to") replied_to = id;
    }
  }
  if (Status s = GetId(p, "in_reply_to_tweet_id", path, m.parent_message_id, false); !s.ok()) {
    return s;
  }
  if (m.parent_message_id.empty()) m.parent_message_id = replied_to;
  std::string reply_to_user;
  if (Status s = GetId(p, "in_reply_to_user_id", path, reply_to_user, false); !s.ok()) return s;

  // Long posts carry their whole text in note_tweet; `text` is then a truncated preview.
  if (const json* note = Member(p, "note_tweet"); note != nullptr) {
    if (!note->is_object()) return Status::Invalid(path + ".note_tweet must be an object");
    if (Status s = security::GetString(*note, "text", path + ".note_tweet", m.text); !s.ok()) {
      return s;
    }
  }
  if (m.text.empty()) {
    if (Member(p, "text") == nullptr) return Status::Invalid(path + ".text is required");
    if (Status s = security::GetString(p, "text", path, m.text); !s.ok()) return s;
  }

  if (includes != nullptr) {
    if (const json* users = Member(*includes, "users"); users != nullptr) {
      const std::string upath = "body.data.includes.users";
      if (!users->is_array()) return Status::Invalid(upath + " must be an array");
      for (std::size_t i = 0; i < users->size(); ++i) {
        const std::string item = upath + "[" + std::to_string(i) + "]";
        const json& user = (*users)[i];
        if (!user.is_object()) return Status::Invalid(item + " must be an object");
        const json* inner = Member(user, "data");
        std::string id;
        if (Status s = security::GetString(inner != nullptr ? *inner : user, "id", item, id);
            !s.ok()) {
          return s;
        }
        if (id != m.author.id) continue;
        if (Status s = ReadAuthor(user, item, m.author); !s.ok()) return s;
        break;
      }
    }
  }

  m.kind = reply_event || ctx.own_ids.count(reply_to_user) ? MentionKind::kDirect
                                                           : MentionKind::kMention;
  m.event_id = m.message_id;
  m.conversation_key = m.message_id;
  m.reply_target = security::DumpJson(json{{"tweet_id", m.message_id}});
  return std::optional<Mention>(std::move(m));
}

bool IsActivityDelivery(const json& body) {
  for (const char* key : {"data", "event_type", "event_uuid", "payload"}) {
    if (body.contains(key)) return true;
  }
  return false;
}

}  // namespace

Result<ParsedWebhook> XConnector::Parse(const InboundRequest& request) const {
  auto parsed = security::ParseUntrustedJson(request.body);
  if (!parsed.ok()) return parsed.status();
  const json& body = *parsed;
  // Also what makes the CRC safe to answer: a CRC answer is a valid signature for a body equal
  // to its token, and a challenge-shaped token holds no '{' (nor whitespace or a BOM before
  // one), so at most it parses as a number, true, false or null, and is refused here.
  if (!body.is_object()) return Status::Invalid("body must be a JSON object");
  if (IsActivityDelivery(body)) return ParseActivity(body, request.now);

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
                      : ParseDm((*events)[i], item_path, users, "body.users", ctx);
      if (!m.ok()) return m.status();
      if (!m->has_value()) continue;
      if ((*m)->author.handle.empty()) (*m)->author.handle = (*m)->author.id;
      out.mentions.push_back(std::move(**m));
    }
  }
  return out;
}

Result<ParsedWebhook> XConnector::ParseActivity(const json& body, UnixMs now) const {
  const json* data = Member(body, "data");
  if (data == nullptr) return Status::Invalid("body.data is required");
  if (!data->is_object()) return Status::Invalid("body.data must be an object");
  std::string event_type, event_uuid;
  if (Status s = security::GetString(*data, "event_type", "body.data", event_type); !s.ok()) {
    return s;
  }
  if (event_type.empty()) return Status::Invalid("body.data.event_type is required");
  if (Status s = security::GetString(*data, "event_uuid", "body.data", event_uuid); !s.ok()) {
    return s;
  }
  ParsedWebhook out;
  const ActivityKind kind = KindOf(event_type);
  if (kind == ActivityKind::kIgnored) return out;

  const json* filter = Member(*data, "filter");
  if (filter == nullptr || !filter->is_object()) {
    return Status::Invalid("body.data.filter must be an object");
  }
  std::string user_id;
  if (Status s = GetId(*filter, "user_id", "body.data.filter", user_id, true); !s.ok()) return s;
  if (!config_.account_id.empty() && user_id != config_.account_id) {
    // Acknowledged so X does not retry; each such delivery is billed, hence the warning.
    log::Warn("X Activity API delivery for another account ignored: delete that subscription",
              {{"event_type", event_type},
               {"filter_user_id", user_id},
               {"account_id", config_.account_id},
               {"event_uuid", event_uuid}});
    return out;
  }
  const json* payload = Member(*data, "payload");
  if (payload == nullptr || !payload->is_object()) {
    return Status::Invalid("body.data.payload must be an object");
  }
  const json* includes = Member(*data, "includes");
  if (includes != nullptr && !includes->is_object()) {
    return Status::Invalid("body.data.includes must be an object");
  }
  Context ctx;
  ctx.own_ids.insert(user_id);
  ctx.account = user_id;

  std::vector<Mention> mentions;
  if (kind == ActivityKind::kDm) {
    const std::string path = "body.data.payload.direct_message_events";
    const json* events = Member(*payload, "direct_message_events");
    if (events == nullptr || !events->is_array())
      return Status::Invalid(path + " must be an array");
    const json* users = Member(*payload, "users");
    if (users != nullptr && !users->is_object()) {
      return Status::Invalid("body.data.payload.users must be an object");
    }
    for (std::size_t i = 0; i < events->size(); ++i) {
      auto m = ParseDm((*events)[i], path + "[" + std::to_string(i) + "]", users,
                       "body.data.payload.users", ctx);
      if (!m.ok()) return m.status();
      if (m->has_value()) mentions.push_back(std::move(**m));
    }
  } else {
    auto m = ParsePost(*payload, "body.data.payload", includes, kind == ActivityKind::kReply, ctx);
    if (!m.ok()) return m.status();
    if (m->has_value()) mentions.push_back(std::move(**m));
  }

  // One lookup at most per delivery keeps the answer to X fast whatever it carries.
  bool may_call_x = true;
  for (Mention& m : mentions) {
    if (m.author.handle.empty()) {
      CompleteAuthor(m.author, now, may_call_x);
      may_call_x = false;
    } else {
      users_->Put(m.author, now);
    }
    if (m.kind != MentionKind::kDm) m.permalink = PostPermalink(m.author, m.message_id);
    log::Debug(
        "X Activity API event",
        {{"event_type", event_type}, {"event_uuid", event_uuid}, {"message_id", m.message_id}});
    out.mentions.push_back(std::move(m));
  }
  return out;
}

}  // namespace duplex
