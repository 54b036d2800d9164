// Meta webhook parsing: entry[].changes[] and entry[].messaging[] of the page, instagram and
// whatsapp_business_account objects, one mention per customer message, and a delivery report
// per failed WhatsApp status.
#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/json_fields.h"
#include "core/log.h"
#include "core/text.h"
#include "platforms/meta/meta_connector.h"
#include "platforms/meta/meta_parse_support.h"
#include "platforms/meta/meta_target.h"
#include "security/untrusted_json.h"

namespace duplex {
namespace {

using meta_parse::AttachmentText;
using meta_parse::Context;
using meta_parse::IsTrue;
using meta_parse::ParseWhatsAppChange;
using meta_parse::Reader;
using meta_parse::Skip;
using nlohmann::json;

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

// --- Send API messaging events (Messenger and Instagram direct) -----------------------------

// A customer's message in entry[].messaging[]: the Send API shape Messenger and Instagram share.
struct MessagingMessage {
  std::string sender;     // the customer's page- or Instagram-scoped id
  std::string recipient;  // our page or professional account
  std::string mid;
  std::string text;  // the text, or labels for its attachments
  std::string reply_to;
};

// Reads `message` of a messaging event; nullopt (logged when malformed) for anything that is
// not a customer's message to us: echoes of our own, ids that are not Graph ids, our own
// account as the sender. `recipient` is who we are when the event does not say.
std::optional<MessagingMessage> ReadMessagingMessage(Reader& rd, const json& event,
                                                     const json& message,
                                                     const std::string& recipient,
                                                     const char* surface) {
  const json* sender = rd.Obj(event, "sender", "messaging[]", true);
  const json* to = rd.Obj(event, "recipient", "messaging[]");
  MessagingMessage m;
  m.recipient = recipient;
  if (sender) m.sender = rd.Str(*sender, "id", "messaging[].sender", true);
  if (to) {
    std::string r = rd.Str(*to, "id", "messaging[].recipient");
    if (!r.empty()) m.recipient = r;
  }
  m.mid = rd.Str(message, "mid", "messaging[].message", true);
  m.text = rd.Str(message, "text", "messaging[].message");
  if (const json* rt = rd.Obj(message, "reply_to", "messaging[].message")) {
    m.reply_to = rd.Str(*rt, "mid", "messaging[].message.reply_to");
  }
  std::vector<const json*> attachments = rd.List(message, "attachments", "messaging[].message");
  if (!rd.ok()) {
    Skip(rd.why());
    return std::nullopt;
  }
  if (m.sender == m.recipient) return std::nullopt;
  if (!meta::IsGraphId(m.sender) || !meta::IsGraphId(m.recipient)) {
    Skip(std::string(surface) + " messaging[] sender or recipient is not a Graph id");
    return std::nullopt;
  }
  if (m.text.empty()) {
    for (const json* a : attachments) {
      m.text += (m.text.empty() ? "" : " ") + AttachmentText(JsonString(*a, "type"), "");
    }
  }
  return m;
}

// --- Messenger -------------------------------------------------------------------------------

void ParseMessaging(Context& ctx, const std::string& page_id, const json& event) {
  Reader rd;
  const json* message = rd.Obj(event, "message", "messaging[]");
  // Deliveries, reads, postbacks, reactions and the like carry no customer text.
  if (!rd.ok()) return Skip(rd.why());
  if (!message) return;
  if (IsTrue(*message, "is_echo")) return;  // our own message, echoed back
  auto read = ReadMessagingMessage(rd, event, *message, page_id, "messenger");
  if (!read) return;
  const std::string &psid = read->sender, &our_page = read->recipient, &mid = read->mid;
  const std::string& reply_to = read->reply_to;
  std::string text = read->text;

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
  auto read = ReadMessagingMessage(rd, event, *message, ig_user_id, "instagram");
  if (!read) return;
  const std::string &igsid = read->sender, &ours = read->recipient, &mid = read->mid;
  const std::string& reply_to = read->reply_to;
  std::string text = read->text;
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
