// Meta webhook parsing: entry[].changes[] and entry[].messaging[] of the page, instagram and
// whatsapp_business_account objects, one mention per customer message, and a delivery report
// per failed WhatsApp status.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/json_fields.h"
#include "core/log.h"
#include "core/text.h"
#include "platforms/meta/meta_connector.h"
#include "platforms/meta/meta_target.h"
#include "security/untrusted_json.h"

namespace duplex {
namespace {

using nlohmann::json;

// A string field of an untrusted object: absent or null gives "", any other type is a problem.
// `required` also makes "" a problem. Problems are kept in `why` (first one wins).
class Reader {
 public:
  std::string Str(const json& obj, const char* key, const std::string& path,
                  bool required = false) {
    std::string out;
    Status s = security::GetString(obj, key, path, out);
    if (!s.ok()) {
      Fail(s.message());
    } else if (required && out.empty()) {
      Fail(path + "." + key + " is required");
    }
    return out;
  }
  // A nested object; null when absent (a problem if required or of another type).
  const json* Obj(const json& obj, const char* key, const std::string& path,
                  bool required = false) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) Fail(path + "." + key + " is required");
      return nullptr;
    }
    if (!it->is_object()) {
      Fail(path + "." + key + " must be an object");
      return nullptr;
    }
    return &*it;
  }
  // An array of objects; empty when absent.
  std::vector<const json*> List(const json& obj, const char* key, const std::string& path) {
    std::vector<const json*> out;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_array()) {
      Fail(path + "." + key + " must be an array");
      return out;
    }
    for (const auto& e : *it) {
      if (!e.is_object()) {
        Fail(path + "." + key + "[] must hold objects");
        return {};
      }
      out.push_back(&e);
    }
    return out;
  }
  void Fail(const std::string& why) {
    if (why_.empty()) why_ = why;
  }
  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }

 private:
  std::string why_;
};

// Lenient reads for fields that only refine a message (never throw on a wrong type).
bool IsTrue(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

void Skip(const std::string& why) {
  log::Warn("meta webhook item skipped", {{"reason", why}});
}

// Text for messages that carry an attachment instead of (or besides) text.
std::string AttachmentText(const std::string& kind, const std::string& caption) {
  std::string out = "[" + (kind.empty() ? std::string("attachment") : kind) + "]";
  if (!caption.empty()) out += " " + caption;
  return out;
}

struct Context {
  const MetaConfig& config;
  HttpClient* http;
  SelfIdentity& self;
  UnixMs now;
  ParsedWebhook& out;
};

// --- Facebook Page: feed comments ------------------------------------------------------------

void ParseFeedChange(Context& ctx, const std::string& page_id, const json& value) {
  Reader rd;
  const std::string item = rd.Str(value, "item", "value");
  const std::string verb = rd.Str(value, "verb", "value");
  if (!rd.ok()) return Skip(rd.why());
  // Posts, reactions, likes, edits and removals are not customer messages to answer.
  if (item != "comment" || verb != "add") return;
  const std::string comment_id = rd.Str(value, "comment_id", "value", true);
  const std::string post_id = rd.Str(value, "post_id", "value", true);
  const std::string parent_id = rd.Str(value, "parent_id", "value");
  std::string message = rd.Str(value, "message", "value");
  const json* from = rd.Obj(value, "from", "value", true);
  std::string from_id, from_name;
  if (from) {
    from_id = rd.Str(*from, "id", "value.from", true);
    from_name = rd.Str(*from, "name", "value.from");
  }
  std::string post_url;
  if (const json* post = rd.Obj(value, "post", "value"))
    post_url = rd.Str(*post, "permalink_url", "value.post");
  if (!rd.ok()) return Skip(rd.why());
  if (!meta::IsGraphId(comment_id)) return Skip("value.comment_id is not a Graph id");
  if (from_id == page_id) return;  // our own comment (or our reply) on the Page
  if (message.empty() && value.contains("photo")) message = AttachmentText("photo", "");
  if (message.empty() && value.contains("video")) message = AttachmentText("video", "");

  // A reply to a comment belongs to the thread of the comment it answers: Facebook threads
  // are one level deep, so parent_id is the thread's top comment (or the post itself).
  const bool is_reply = !parent_id.empty() && parent_id != post_id;
  const std::string thread = is_reply ? parent_id : comment_id;
  std::string thread_url = post_url.empty() ? "https://www.facebook.com/" + post_id : post_url;
  thread_url += (thread_url.find('?') == std::string::npos ? "?" : "&");
  thread_url += "comment_id=" + meta::LastPart(thread);
  const std::string url =
      is_reply ? thread_url + "&reply_comment_id=" + meta::LastPart(comment_id) : thread_url;

  Mention m;
  m.platform = kMetaPlatform;
  m.event_id = "fb:comment:" + comment_id;
  m.kind = MentionKind::kComment;
  m.author.id = from_id;
  m.author.name = from_name;
  m.author.handle = from_name.empty() ? from_id : from_name;
  m.text = message;
  m.permalink = url;
  m.conversation_key = "fb:comment:" + thread;
  m.message_id = comment_id;
  if (is_reply) m.parent_message_id = parent_id;
  m.reply_target = security::DumpJson(json{{"type", meta::kFacebookComment},
                                           {"comment_id", comment_id},
                                           {"post_id", post_id},
                                           {"url", thread_url}});
  m.account = page_id;
  ctx.out.mentions.push_back(std::move(m));
}

// --- Messenger -------------------------------------------------------------------------------

void ParseMessaging(Context& ctx, const std::string& page_id, const json& event) {
  Reader rd;
  const json* message = rd.Obj(event, "message", "messaging[]");
  // Deliveries, reads, postbacks, reactions and the like carry no customer text.
  if (!rd.ok()) return Skip(rd.why());
  if (!message) return;
  if (IsTrue(*message, "is_echo")) return;  // our own message, echoed back
  const json* sender = rd.Obj(event, "sender", "messaging[]", true);
  const json* recipient = rd.Obj(event, "recipient", "messaging[]");
  std::string psid, our_page = page_id;
  if (sender) psid = rd.Str(*sender, "id", "messaging[].sender", true);
  if (recipient) {
    std::string r = rd.Str(*recipient, "id", "messaging[].recipient");
    if (!r.empty()) our_page = r;
  }
  const std::string mid = rd.Str(*message, "mid", "messaging[].message", true);
  std::string text = rd.Str(*message, "text", "messaging[].message");
  std::string reply_to;
  if (const json* rt = rd.Obj(*message, "reply_to", "messaging[].message")) {
    reply_to = rd.Str(*rt, "mid", "messaging[].message.reply_to");
  }
  std::vector<const json*> attachments = rd.List(*message, "attachments", "messaging[].message");
  if (!rd.ok()) return Skip(rd.why());
  if (psid == our_page) return;
  if (!meta::IsGraphId(psid) || !meta::IsGraphId(our_page)) {
    return Skip("messaging[] sender or recipient is not a Graph id");
  }
  if (text.empty()) {
    for (const json* a : attachments) {
      text += (text.empty() ? "" : " ") + AttachmentText(JsonString(*a, "type"), "");
    }
  }

  Mention m;
  m.platform = kMetaPlatform;
  m.event_id = "messenger:" + mid;
  m.kind = MentionKind::kDm;
  m.author.id = psid;
  m.author.handle = psid;  // Messenger gives a page-scoped id only; the name needs a profile call
  m.text = text;
  m.conversation_key = "messenger:" + our_page + ":" + psid;
  m.message_id = mid;
  m.parent_message_id = reply_to;
  m.reply_target =
      security::DumpJson(json{{"type", meta::kMessenger}, {"page_id", our_page}, {"psid", psid}});
  m.account = our_page;
  ctx.out.mentions.push_back(std::move(m));
}

// --- Instagram: comments and @mentions -------------------------------------------------------

// The lookup of our own username runs while Meta waits for the webhook's answer.
constexpr int kUsernameLookupTimeoutMs = 2'000;

// GET {api_base}/{ig-user}?fields=id,username: our account's username, as comments show it.
SelfIdentity::Answer LookUpUsername(const Context& ctx, const std::string& ig_user_id) {
  if (ctx.http == nullptr || ctx.config.page_token.empty() || !meta::IsGraphId(ig_user_id)) {
    return {std::nullopt, true};
  }
  HttpRequest req;
  req.method = "GET";
  req.url = ctx.config.api_base + "/" + ig_user_id + "?fields=id,username";
  req.headers = {{"Authorization", "Bearer " + ctx.config.page_token}};
  req.timeout_ms = std::min(kUsernameLookupTimeoutMs, ctx.config.fetch_timeout_ms);
  req.ca_file = ctx.config.ca_file;
  HttpResult res = ctx.http->Send(req);
  DeliveryOutcome o = ClassifyMetaAnswer(res, "the lookup of our Instagram username");
  if (o.kind == OutcomeKind::kDone) {
    auto body = json::parse(res.response.body, nullptr, false);
    if (body.is_object() && JsonString(body, "id") == ig_user_id &&
        !JsonString(body, "username").empty()) {
      log::Info("instagram: our own username learned; its comments are ignored",
                {{"ig_user_id", ig_user_id}, {"username", JsonString(body, "username")}});
      return {JsonString(body, "username"), false};
    }
    o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "Instagram answered without the username");
  }
  const bool final = o.kind == OutcomeKind::kPermanent;
  log::Warn(final ? "instagram: our own username cannot be read with the page token; our "
                    "comments are recognised only by from.id and by the ids of replies sent"
                  : "instagram: looking up our own username failed; asking again in a minute",
            {{"ig_user_id", ig_user_id}, {"error", o.error}});
  return {std::nullopt, final};
}

// Whether a comment's author is our own account. Meta gives commenters an Instagram-scoped
// id, ours included, so the username decides unless from.id is the account id itself.
bool IsOwnComment(Context& ctx, const std::string& ig_user_id, const std::string& from_id,
                  const std::string& username) {
  if (from_id == ig_user_id) return true;
  if (username.empty()) return false;
  std::optional<std::string> ours =
      ctx.self.Get(ig_user_id, ctx.now, [&] { return LookUpUsername(ctx, ig_user_id); });
  return ours && text::ToLowerAscii(*ours) == text::ToLowerAscii(username);
}

void ParseInstagramComment(Context& ctx, const std::string& ig_user_id, const json& value) {
  Reader rd;
  const std::string id = rd.Str(value, "id", "value", true);
  const std::string text = rd.Str(value, "text", "value");
  const std::string parent_id = rd.Str(value, "parent_id", "value");
  const json* from = rd.Obj(value, "from", "value", true);
  std::string from_id, username, media_id;
  if (from) {
    from_id = rd.Str(*from, "id", "value.from", true);
    username = rd.Str(*from, "username", "value.from");
  }
  if (const json* media = rd.Obj(value, "media", "value"))
    media_id = rd.Str(*media, "id", "value.media");
  if (!rd.ok()) return Skip(rd.why());
  if (IsOwnComment(ctx, ig_user_id, from_id, username)) return;  // our own comment or reply
  if (!meta::IsGraphId(id) || (!parent_id.empty() && !meta::IsGraphId(parent_id))) {
    return Skip("Instagram comment ids are not Graph ids");
  }
  // Instagram threads are one level deep and replies can only be made to a top comment.
  const std::string thread = parent_id.empty() ? id : parent_id;

  Mention m;
  m.platform = kMetaPlatform;
  m.event_id = "ig:comment:" + id;
  m.kind = MentionKind::kComment;
  m.author.id = from_id;
  m.author.handle = username.empty() ? from_id : username;
  m.text = text;
  m.conversation_key = "ig:comment:" + thread;
  m.message_id = id;
  m.parent_message_id = parent_id;
  m.reply_target = security::DumpJson(
      json{{"type", meta::kInstagramComment}, {"comment_id", thread}, {"media_id", media_id}});
  m.account = ig_user_id;
  ctx.out.mentions.push_back(std::move(m));
}

struct FetchedMention {
  std::string text, username, url;
};

// GET {api_base}/{ig-user}?fields=mentioned_comment.comment_id(C){…} (or mentioned_media for a
// caption). Unavailable when a later attempt may succeed; the text of a placeholder otherwise.
Result<FetchedMention> FetchMention(const Context& ctx, const std::string& ig_user_id,
                                    const std::string& comment_id, const std::string& media_id) {
  FetchedMention placeholder;
  const std::string what = comment_id.empty() ? "caption" : "comment";
  auto fallback = [&](const std::string& why) -> Result<FetchedMention> {
    log::Warn("instagram mention text not fetched", {{"reason", why}});
    placeholder.text = "(Instagram @mention in a " + what +
                       "; duplex could not fetch its text: " + why +
                       ". Open Instagram to read it.)";
    return placeholder;
  };
  if (ctx.http == nullptr) return fallback("no HTTP client");
  if (ctx.config.page_token.empty()) return fallback("no page_token configured");
  const std::string field =
      comment_id.empty()
          ? "mentioned_media.media_id(" + media_id + "){caption,username,timestamp,permalink}"
          : "mentioned_comment.comment_id(" + comment_id +
                "){text,username,timestamp,media{id,permalink}}";
  HttpRequest req;
  req.method = "GET";
  req.url = ctx.config.api_base + "/" + ig_user_id + "?fields=" + field;
  req.headers = {{"Authorization", "Bearer " + ctx.config.page_token}};
  req.timeout_ms = ctx.config.fetch_timeout_ms;
  req.ca_file = ctx.config.ca_file;
  HttpResult res = ctx.http->Send(req);
  // A read is always safe to repeat, so "uncertain" means "try again" here.
  if (!res.ok() || res.response.status >= 500 || res.response.status == 429) {
    return Status::Unavailable(
        "could not fetch the Instagram mention (" +
        (res.ok() ? "HTTP " + std::to_string(res.response.status) : res.error_message) +
        "); Meta will redeliver the webhook");
  }
  if (res.response.status < 200 || res.response.status >= 300) {
    DeliveryOutcome o = ClassifyMetaAnswer(res, "the fetch");
    if (o.kind == OutcomeKind::kRetry || o.kind == OutcomeKind::kUncertain) {
      return Status::Unavailable("could not fetch the Instagram mention (" + o.error +
                                 "); Meta will redeliver the webhook");
    }
    return fallback(o.error);
  }
  auto body = json::parse(res.response.body, nullptr, false);
  const char* key = comment_id.empty() ? "mentioned_media" : "mentioned_comment";
  if (!body.is_object() || !body.contains(key) || !body[key].is_object()) {
    return fallback("Instagram answered without the " + what);
  }
  const json& obj = body[key];
  Reader rd;
  FetchedMention out;
  out.text = rd.Str(obj, comment_id.empty() ? "caption" : "text", key);
  out.username = rd.Str(obj, "username", key);
  if (comment_id.empty()) {
    out.url = rd.Str(obj, "permalink", key);
  } else if (const json* media = rd.Obj(obj, "media", key)) {
    out.url = rd.Str(*media, "permalink", std::string(key) + ".media");
  }
  if (!rd.ok()) return fallback(rd.why());
  return out;
}

Status ParseInstagramMention(Context& ctx, const std::string& ig_user_id, const json& value) {
  Reader rd;
  const std::string comment_id = rd.Str(value, "comment_id", "value");
  const std::string media_id = rd.Str(value, "media_id", "value", true);
  if (!rd.ok()) {
    Skip(rd.why());
    return Status::Ok();
  }
  if (!meta::IsGraphId(media_id) || (!comment_id.empty() && !meta::IsGraphId(comment_id)) ||
      !meta::IsGraphId(ig_user_id)) {
    Skip("Instagram mention ids are not Graph ids");
    return Status::Ok();
  }
  auto fetched = FetchMention(ctx, ig_user_id, comment_id, media_id);
  if (!fetched.ok()) return fetched.status();
  const std::string key = comment_id.empty() ? "media:" + media_id : comment_id;

  Mention m;
  m.platform = kMetaPlatform;
  m.event_id = "ig:mention:" + key;
  m.kind = MentionKind::kMention;
  m.author.handle = fetched->username.empty() ? "instagram-user" : fetched->username;
  m.author.id = m.author.handle;  // the mentions API names the author but gives no id
  m.text = fetched->text;
  m.permalink = fetched->url;
  m.conversation_key = "ig:mention:" + key;
  m.message_id = comment_id.empty() ? media_id : comment_id;
  json target = {
      {"type", meta::kInstagramMention}, {"ig_user_id", ig_user_id}, {"media_id", media_id}};
  if (!comment_id.empty()) target["comment_id"] = comment_id;
  if (!fetched->url.empty()) target["url"] = fetched->url;
  m.reply_target = security::DumpJson(target);
  m.account = ig_user_id;
  ctx.out.mentions.push_back(std::move(m));
  return Status::Ok();
}

// --- WhatsApp Cloud API ----------------------------------------------------------------------

std::string WhatsAppText(Reader& rd, const json& msg, const std::string& type) {
  const std::string path = "value.messages[]";
  if (type == "text") {
    if (const json* t = rd.Obj(msg, "text", path)) return rd.Str(*t, "body", path + ".text");
    return {};
  }
  if (type == "image" || type == "video" || type == "document" || type == "audio" ||
      type == "sticker") {
    std::string caption;
    if (const json* media = rd.Obj(msg, type.c_str(), path))
      caption = rd.Str(*media, "caption", path + "." + type);
    return AttachmentText(type, caption);
  }
  if (type == "button") {
    if (const json* b = rd.Obj(msg, "button", path)) return rd.Str(*b, "text", path + ".button");
    return {};
  }
  if (type == "interactive") {
    if (const json* i = rd.Obj(msg, "interactive", path)) {
      for (const char* k : {"button_reply", "list_reply"}) {
        if (const json* r = rd.Obj(*i, k, path + ".interactive"))
          return rd.Str(*r, "title", path + ".interactive");
      }
    }
    return AttachmentText("interactive", "");
  }
  if (type == "location") {
    std::string where;
    if (const json* l = rd.Obj(msg, "location", path)) {
      where = rd.Str(*l, "name", path + ".location");
      std::string address = rd.Str(*l, "address", path + ".location");
      if (!address.empty()) where += (where.empty() ? "" : ", ") + address;
    }
    return AttachmentText("location", where);
  }
  return AttachmentText(type.empty() ? "message" : type, "");
}

// Meta's reason for a failed status, in words staff can act on. 131047 and 131026 are the
// failures a support reply meets (Cloud API error codes); others keep Meta's own title.
std::string WhatsAppFailureReason(const json* error) {
  std::int64_t code = 0;
  std::string title, message, details;
  if (error != nullptr) {
    if (auto c = error->find("code"); c != error->end() && c->is_number_integer()) {
      code = c->get<std::int64_t>();
    } else if (c != error->end() && c->is_string()) {
      code = text::ParseInt64(c->get<std::string>()).value_or(0);
    }
    title = JsonString(*error, "title");
    message = JsonString(*error, "message");
    if (auto d = error->find("error_data"); d != error->end() && d->is_object()) {
      details = JsonString(*d, "details");
    }
  }
  std::string why;
  if (code == 131047) {
    why =
        "the 24-hour window has closed: the customer must write first, or a template message "
        "is needed";
  } else if (code == 131026) {
    why =
        "undeliverable: WhatsApp could not deliver it to this customer (for example, the "
        "number is not on WhatsApp, their app is out of date, or they blocked the business)";
  } else {
    // Meta's sentences end with a period; joined here, they should not.
    auto bare = [](std::string s) {
      while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
      return s;
    };
    why = bare(!title.empty() ? title : !message.empty() ? message : "no reason given");
    if (!details.empty() && bare(details) != why) why += ": " + bare(details);
    why = text::TruncateUtf8(why, 400);
  }
  return "WhatsApp could not deliver it: " + why +
         (code != 0 ? " (WhatsApp error " + std::to_string(code) + ")." : ".");
}

// statuses[]: sent, delivered and read need nothing; a failed one is a report on our reply.
void ParseWhatsAppStatuses(Context& ctx, const std::vector<const json*>& statuses) {
  for (const json* st : statuses) {
    if (JsonString(*st, "status") != "failed") continue;
    Reader rd;
    const std::string wamid = rd.Str(*st, "id", "value.statuses[]", true);
    std::vector<const json*> errors = rd.List(*st, "errors", "value.statuses[]");
    if (!rd.ok()) {
      Skip(rd.why());
      continue;
    }
    DeliveryReport report;
    report.event_id = "wa:status:" + wamid + ":failed";
    report.remote_id = wamid;
    report.failed = true;
    report.reason = WhatsAppFailureReason(errors.empty() ? nullptr : errors.front());
    ctx.out.delivery_reports.push_back(std::move(report));
  }
}

// Who wrote: the phone number (messages[].from / contacts[].wa_id) when Meta shares it, and
// the business-scoped user id (from_user_id / user_id) always since 2026. A username user may
// come with the BSUID alone.
struct WhatsAppSender {
  std::string phone, bsuid, name, username;
  const std::string& key() const { return phone.empty() ? bsuid : phone; }
};

void ParseWhatsAppChange(Context& ctx, const json& value) {
  Reader rd;
  std::vector<const json*> messages = rd.List(value, "messages", "value");
  std::vector<const json*> statuses = rd.List(value, "statuses", "value");
  if (!rd.ok()) return Skip(rd.why());
  // errors[] at this level are app- or account-level problems, not about one message.
  if (value.contains("errors")) {
    log::Warn("whatsapp reported an account-level error",
              {{"errors", text::TruncateUtf8(security::DumpJson(value["errors"]), 300)}});
  }
  ParseWhatsAppStatuses(ctx, statuses);
  if (messages.empty()) return;
  const json* metadata = rd.Obj(value, "metadata", "value", true);
  std::string phone_number_id;
  if (metadata) phone_number_id = rd.Str(*metadata, "phone_number_id", "value.metadata", true);
  std::vector<const json*> contacts = rd.List(value, "contacts", "value");
  if (!rd.ok()) return Skip(rd.why());
  if (!meta::IsGraphId(phone_number_id))
    return Skip("value.metadata.phone_number_id is not a Graph id");

  for (const json* msg : messages) {
    Reader mr;
    const std::string wamid = mr.Str(*msg, "id", "value.messages[]", true);
    WhatsAppSender who;
    who.phone = mr.Str(*msg, "from", "value.messages[]");
    who.bsuid = mr.Str(*msg, "from_user_id", "value.messages[]");
    const std::string type = mr.Str(*msg, "type", "value.messages[]");
    std::string context_id;
    if (const json* c = mr.Obj(*msg, "context", "value.messages[]"))
      context_id = mr.Str(*c, "id", "value.messages[].context");
    // A reaction is an emoji on an earlier message, not something to answer.
    if (type == "reaction") continue;
    std::string text = WhatsAppText(mr, *msg, type);
    if (!mr.ok()) {
      Skip(mr.why());
      continue;
    }
    if (!who.phone.empty() && !meta::IsGraphId(who.phone)) {
      Skip("value.messages[].from is not a phone number");
      continue;
    }
    if (!who.bsuid.empty() && !meta::IsBsuid(who.bsuid)) {
      Skip("value.messages[].from_user_id is not a business-scoped user id");
      continue;
    }
    if (who.key().empty()) {
      Skip("value.messages[] has neither from nor from_user_id");
      continue;
    }
    for (const json* c : contacts) {
      const bool same = (!who.phone.empty() && JsonString(*c, "wa_id") == who.phone) ||
                        (!who.bsuid.empty() && JsonString(*c, "user_id") == who.bsuid);
      if (!same) continue;
      if (auto p = c->find("profile"); p != c->end() && p->is_object()) {
        who.name = JsonString(*p, "name");
        who.username = JsonString(*p, "username");
      }
    }
    // Usernames are shown with an @ by chat; Meta's may or may not carry one.
    if (!who.username.empty() && who.username[0] == '@') who.username.erase(0, 1);

    Mention m;
    m.platform = kMetaPlatform;
    m.event_id = "wa:" + wamid;
    m.kind = MentionKind::kDm;
    m.author.id = who.key();
    m.author.handle = !who.phone.empty()      ? "+" + who.phone
                      : !who.username.empty() ? who.username
                                              : who.bsuid;
    m.author.name = who.name;
    m.text = text;
    if (!who.phone.empty()) m.permalink = "https://wa.me/" + who.phone;
    m.conversation_key = "wa:" + phone_number_id + ":" + who.key();
    m.message_id = wamid;
    m.parent_message_id = context_id;
    json target = {{"type", meta::kWhatsApp}, {"phone_number_id", phone_number_id}};
    if (!who.phone.empty()) target["to"] = who.phone;
    if (!who.bsuid.empty()) target["user_id"] = who.bsuid;
    target["message_id"] = wamid;
    m.reply_target = security::DumpJson(target);
    m.account = phone_number_id;
    ctx.out.mentions.push_back(std::move(m));
  }
}

// --- Instagram direct messages ----------------------------------------------------------------

// entry[].messaging[] of the instagram object (Instagram Messaging webhooks, `messages` field):
// sender.id is the customer's Instagram-scoped id, recipient.id our professional account.
void ParseInstagramDm(Context& ctx, const std::string& ig_user_id, const json& event) {
  Reader rd;
  const json* message = rd.Obj(event, "message", "messaging[]");
  if (!rd.ok()) return Skip(rd.why());
  // Reads, reactions, postbacks and referrals carry no customer text.
  if (!message) return;
  // Our own messages come back as echoes; a deletion removes a message, it asks nothing.
  if (IsTrue(*message, "is_echo") || IsTrue(*message, "is_deleted")) return;
  const json* sender = rd.Obj(event, "sender", "messaging[]", true);
  const json* recipient = rd.Obj(event, "recipient", "messaging[]");
  std::string igsid, ours = ig_user_id;
  if (sender) igsid = rd.Str(*sender, "id", "messaging[].sender", true);
  if (recipient) {
    std::string r = rd.Str(*recipient, "id", "messaging[].recipient");
    if (!r.empty()) ours = r;
  }
  const std::string mid = rd.Str(*message, "mid", "messaging[].message", true);
  std::string text = rd.Str(*message, "text", "messaging[].message");
  std::string reply_to;
  if (const json* rt = rd.Obj(*message, "reply_to", "messaging[].message")) {
    reply_to = rd.Str(*rt, "mid", "messaging[].message.reply_to");
  }
  std::vector<const json*> attachments = rd.List(*message, "attachments", "messaging[].message");
  if (!rd.ok()) return Skip(rd.why());
  if (igsid == ours) return;
  if (!meta::IsGraphId(igsid) || !meta::IsGraphId(ours)) {
    return Skip("instagram messaging[] sender or recipient is not a Graph id");
  }
  if (text.empty()) {
    for (const json* a : attachments) {
      text += (text.empty() ? "" : " ") + AttachmentText(JsonString(*a, "type"), "");
    }
  }
  if (text.empty() && IsTrue(*message, "is_unsupported")) {
    text = "[a message Instagram does not pass on: open Instagram to read it]";
  }

  Mention m;
  m.platform = kMetaPlatform;
  m.event_id = "ig:dm:" + mid;
  m.kind = MentionKind::kDm;
  m.author.id = igsid;
  m.author.handle = igsid;  // the webhook gives an Instagram-scoped id only
  m.text = text;
  m.conversation_key = "ig:dm:" + ours + ":" + igsid;
  m.message_id = mid;
  m.parent_message_id = reply_to;
  m.reply_target = security::DumpJson(
      json{{"type", meta::kInstagramDm}, {"ig_user_id", ours}, {"igsid", igsid}});
  m.account = ours;
  ctx.out.mentions.push_back(std::move(m));
}

}  // namespace

Result<ParsedWebhook> MetaConnector::Parse(const InboundRequest& r) const {
  auto parsed = security::ParseUntrustedJson(r.body);
  if (!parsed.ok()) return parsed.status();
  const json& body = *parsed;
  if (!body.is_object()) return Status::Invalid("body must be a JSON object");
  std::string object;
  if (Status s = security::GetString(body, "object", "body", object); !s.ok()) return s;
  Reader top;
  std::vector<const json*> entries = top.List(body, "entry", "body");
  if (!top.ok()) return Status::Invalid(top.why());

  ParsedWebhook out;
  Context ctx{config_, http_, *self_, r.now, out};
  const bool page = object == "page", instagram = object == "instagram",
             whatsapp = object == "whatsapp_business_account";
  // Other objects (user, permissions, application...) are acknowledged and ignored.
  if (!page && !instagram && !whatsapp) return out;

  for (const json* entry : entries) {
    Reader rd;
    const std::string entry_id = rd.Str(*entry, "id", "entry[]");
    std::vector<const json*> changes = rd.List(*entry, "changes", "entry[]");
    std::vector<const json*> messaging = rd.List(*entry, "messaging", "entry[]");
    if (!rd.ok()) {
      Skip(rd.why());
      continue;
    }
    const std::string page_id = config_.page_id.empty() ? entry_id : config_.page_id;
    const std::string ig_user_id = config_.ig_user_id.empty() ? entry_id : config_.ig_user_id;
    for (const json* change : changes) {
      Reader cr;
      const std::string field = cr.Str(*change, "field", "changes[]");
      const json* value = cr.Obj(*change, "value", "changes[]", true);
      if (!cr.ok()) {
        Skip(cr.why());
        continue;
      }
      if (page && field == "feed") {
        ParseFeedChange(ctx, page_id, *value);
      } else if (instagram && field == "comments") {
        ParseInstagramComment(ctx, ig_user_id, *value);
      } else if (instagram && field == "mentions") {
        if (Status s = ParseInstagramMention(ctx, ig_user_id, *value); !s.ok()) return s;
      } else if (whatsapp && field == "messages") {
        ParseWhatsAppChange(ctx, *value);
      }
    }
    for (const json* event : messaging) {
      if (page) ParseMessaging(ctx, page_id, *event);
      if (instagram) ParseInstagramDm(ctx, ig_user_id, *event);
    }
  }
  return out;
}

}  // namespace duplex
