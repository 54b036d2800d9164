// Meta replies: one Graph API call per reply, to the endpoint the stored reply target names,
// and the mapping of Meta's error codes onto delivery outcomes.
#include <algorithm>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/json_fields.h"
#include "core/text.h"
#include "platforms/meta/meta_connector.h"
#include "platforms/meta/meta_target.h"
#include "security/untrusted_json.h"

namespace duplex {
namespace {

using nlohmann::json;

// Without a hint from Meta, a rate-limited reply waits this long before the next attempt.
constexpr std::int64_t kDefaultRateLimitWaitMs = 60'000;

constexpr std::int64_t k24HoursMs = 24 * 3'600'000LL;
constexpr std::int64_t kWindowMarginMs = 10 * 60'000;

// Text limits per surface, as Meta documents them: Facebook comments 8,000 characters,
// Instagram comments 2,200, Messenger 2,000 (Send API reference), WhatsApp text bodies 4,096
// (Cloud API messages reference), Instagram direct messages 1,000 bytes of UTF-8.
constexpr std::size_t kMaxFacebookCommentChars = 8000;
constexpr std::size_t kMaxInstagramCommentChars = 2200;
constexpr std::size_t kMaxMessengerChars = 2000;
constexpr std::size_t kMaxWhatsAppChars = 4096;
constexpr std::size_t kMaxInstagramDmBytes = 1000;

// UTF-16 code units of UTF-8 text: one per code point, two for one above U+FFFF (a 4-byte
// sequence). A malformed sequence counts by its lead byte.
std::size_t Utf16Units(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++n;
    if ((c & 0xF8) == 0xF0) ++n;
  }
  return n;
}

// Rate limits and throttling: the call was refused, nothing was posted, a later call can work.
//   4, 17, 32, 613, 341: platform limits (app, user, page, custom; 341 "application limit").
//   80001–80014: business use case limits (Pages, Instagram, Messenger, WhatsApp...).
//   130429: WhatsApp throughput; 131056: WhatsApp pair rate (same customer too often);
//   131048: WhatsApp spam rate limit; 1200: Messenger "temporary send message failure".
bool IsRateLimit(std::int64_t code) {
  static const std::set<std::int64_t> kCodes = {4, 17, 32, 341, 613, 130429, 131048, 131056, 1200};
  return kCodes.count(code) > 0 || (code >= 80001 && code <= 80014);
}

// The customer's 24-hour window for free-form replies has closed (Messenger code 10 with
// subcode 2018278, Instagram messaging 2534022; WhatsApp 131047).
bool IsWindowClosed(std::int64_t code, std::int64_t subcode) {
  return code == 131047 || (code == 10 && (subcode == 2018278 || subcode == 2534022));
}

std::int64_t IntField(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return 0;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  // WhatsApp errors have been seen with the code as a string.
  if (it->is_string()) return text::ParseInt64(it->get<std::string>()).value_or(0);
  return 0;
}

// X-Business-Use-Case-Usage: {"<business id>":[{"type":"pages","call_count":100,...,
// "estimated_time_to_regain_access":N}]}, N in minutes.
std::optional<std::int64_t> BusinessUseCaseWaitMs(const std::string& header) {
  if (header.empty()) return std::nullopt;
  auto usage = json::parse(header, nullptr, false);
  if (!usage.is_object()) return std::nullopt;
  std::int64_t minutes = 0;
  for (const auto& [business, entries] : usage.items()) {
    if (!entries.is_array()) continue;
    for (const auto& e : entries) {
      if (e.is_object())
        minutes = std::max(minutes, IntField(e, "estimated_time_to_regain_access"));
    }
  }
  if (minutes <= 0) return std::nullopt;
  return std::min<std::int64_t>(minutes, 24 * 60) * 60'000;
}

std::string Describe(const std::string& message, std::int64_t code, std::int64_t subcode) {
  std::string out = text::TruncateUtf8(message.empty() ? "no message" : message, 300);
  out += " (code " + std::to_string(code);
  if (subcode != 0) out += ", subcode " + std::to_string(subcode);
  return out + ")";
}

// The id Meta gives the new comment or message.
std::string RemoteId(const json& answer) {
  for (const char* key : {"id", "message_id"}) {
    std::string v = JsonString(answer, key);
    if (!v.empty()) return v;
  }
  auto messages = answer.find("messages");  // WhatsApp: {"messages":[{"id":"wamid..."}]}
  if (messages != answer.end() && messages->is_array() && !messages->empty() &&
      (*messages)[0].is_object()) {
    return JsonString((*messages)[0], "id");
  }
  return {};
}

}  // namespace

DeliveryOutcome ClassifyMetaAnswer(const HttpResult& result, const std::string& what_call,
                                   const std::string& window_closed) {
  if (!result.ok()) return ClassifyHttpFailure(result, "Meta");
  const HttpResponse& res = result.response;
  auto answer = json::parse(res.body, nullptr, false);
  const json* error = nullptr;
  if (answer.is_object()) {
    auto it = answer.find("error");
    if (it != answer.end() && it->is_object()) error = &*it;
  }
  if (res.status >= 200 && res.status < 300 && error == nullptr) {
    return DeliveryOutcome::Done(answer.is_object() ? RemoteId(answer) : std::string());
  }
  if (error == nullptr) return ClassifyHttpFailure(result, "Meta");

  const std::int64_t code = IntField(*error, "code");
  const std::int64_t subcode = IntField(*error, "error_subcode");
  std::string message = JsonString(*error, "message");
  // WhatsApp puts the useful sentence in error_data.details.
  if (auto data = error->find("error_data"); data != error->end() && data->is_object()) {
    std::string details = JsonString(*data, "details");
    if (!details.empty()) message += ": " + details;
  }
  const std::string what = Describe(message, code, subcode);

  if (IsRateLimit(code)) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "Meta rate limit: " + what);
    o.retry_after_ms = ParseRetryAfterMs(res.Header("Retry-After"));
    if (!o.retry_after_ms)
      o.retry_after_ms = BusinessUseCaseWaitMs(res.Header("X-Business-Use-Case-Usage"));
    if (!o.retry_after_ms) o.retry_after_ms = kDefaultRateLimitWaitMs;
    return o;
  }
  if (IsWindowClosed(code, subcode)) {
    return DeliveryOutcome::Fail(
        OutcomeKind::kPermanent,
        (window_closed.empty()
             ? std::string("the customer's 24-hour reply window has closed: Meta accepts "
                           "free-form replies only within 24 hours of their last message, so "
                           "answer when they write again")
             : window_closed) +
            " (" + what + ")");
  }
  if (code == 190 || code == 102) {
    auto o = DeliveryOutcome::Fail(
        OutcomeKind::kPermanent, "Meta refused the access token; an admin must renew it: " + what);
    o.auth_failure = true;
    return o;
  }
  // 1 (unknown) and 2 (service) are Meta's own trouble: the reply may or may not exist.
  if (res.status >= 500 || code == 1 || code == 2) {
    return DeliveryOutcome::Fail(OutcomeKind::kUncertain, "Meta server error: " + what);
  }
  auto o =
      DeliveryOutcome::Fail(OutcomeKind::kPermanent, "Meta refused " + what_call + ": " + what);
  o.auth_failure = res.status == 401;
  return o;
}

Status CheckMetaReplyLength(const std::string& type, const std::string& text) {
  // Instagram direct messages: "UTF-8 and 1000 bytes or less" (Instagram Messaging, Send a
  // Message). Everything else is documented in characters.
  if (type == meta::kInstagramDm) {
    if (text.size() <= kMaxInstagramDmBytes) return Status::Ok();
    return Status::Invalid(
        "Instagram direct messages take at most " + text::FormatThousands(kMaxInstagramDmBytes) +
        " bytes of UTF-8 text (a letter with an accent takes 2, an emoji 4); "
        "this reply has " +
        text::FormatThousands(static_cast<std::int64_t>(text.size())) + " bytes");
  }
  std::size_t limit = kMaxFacebookCommentChars;
  std::string what = "Meta replies";
  if (type == meta::kFacebookComment) {
    what = "Facebook comments";
  } else if (type == meta::kInstagramComment || type == meta::kInstagramMention) {
    limit = kMaxInstagramCommentChars;
    what = "Instagram comments";
  } else if (type == meta::kMessenger) {
    limit = kMaxMessengerChars;
    what = "Messenger messages";
  } else if (type == meta::kWhatsApp) {
    limit = kMaxWhatsAppChars;
    what = "WhatsApp messages";
  }
  const std::size_t count = Utf16Units(text);
  if (count <= limit) return Status::Ok();
  return Status::Invalid(
      what + " take at most " + text::FormatThousands(limit) +
      " characters (counted as UTF-16 units: an emoji counts 2); this reply has " +
      text::FormatThousands(static_cast<std::int64_t>(count)));
}

DeliveryOutcome MetaConnector::SendReply(const ReplyRequest& reply, HttpClient& http) const {
  auto target = json::parse(reply.reply_target, nullptr, false);
  if (!target.is_object()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 "the customer's message has no Meta reply target");
  }
  const std::string type = JsonString(target, "type");
  auto id = [&](const char* key) { return JsonString(target, key); };
  auto bad_target = [&](const char* key) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 std::string("the stored reply target has no valid ") + key);
  };
  if (meta::NeedsPageToken(type) && config_.page_token.empty()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent, meta::NoPageTokenMessage(type));
  }
  // Messenger and Instagram direct: after the 24-hour window only a human agent may answer,
  // for 7 days, with Meta's HUMAN_AGENT tag. duplex's receive time is a little after the
  // customer's send time, so the tag starts a little early rather than a reply failing.
  const bool human_agent = config_.messenger_human_agent && reply.in_reply_to_at > 0 &&
                           reply.now - reply.in_reply_to_at >= k24HoursMs - kWindowMarginMs;
  const std::string window_closed =
      human_agent
          ? "the customer last wrote more than 7 days ago, beyond even Meta's human agent "
            "window: answer when they write again"
          : "the customer's 24-hour reply window has closed: Meta accepts free-form replies "
            "only within 24 hours of their last message, so answer when they write again, or "
            "let an admin set platforms.meta.messenger_human_agent to answer for up to 7 days "
            "(Meta's HUMAN_AGENT tag, which needs Meta's Human Agent permission)";
  auto messaging_fields = [&](json& body) {
    if (human_agent) {
      body["messaging_type"] = "MESSAGE_TAG";
      body["tag"] = "HUMAN_AGENT";
    } else {
      body["messaging_type"] = "RESPONSE";
    }
  };

  HttpRequest req;
  req.timeout_ms = config_.timeout_ms;
  req.ca_file = config_.ca_file;
  std::string token = config_.page_token;
  std::string window_text;  // default wording unless the surface needs its own
  std::string url;          // where the reply can be seen, when Meta lets us link to it
  json body;
  if (type == meta::kFacebookComment) {
    if (!meta::IsGraphId(id("comment_id"))) return bad_target("comment_id");
    req.url = config_.api_base + "/" + id("comment_id") + "/comments";
    body = {{"message", reply.text}};
    url = id("url");
  } else if (type == meta::kInstagramComment) {
    if (!meta::IsGraphId(id("comment_id"))) return bad_target("comment_id");
    req.url = config_.api_base + "/" + id("comment_id") + "/replies";
    body = {{"message", reply.text}};
  } else if (type == meta::kInstagramMention) {
    if (!meta::IsGraphId(id("ig_user_id"))) return bad_target("ig_user_id");
    if (!meta::IsGraphId(id("media_id"))) return bad_target("media_id");
    req.url = config_.api_base + "/" + id("ig_user_id") + "/mentions";
    body = {{"media_id", id("media_id")}, {"message", reply.text}};
    if (!id("comment_id").empty()) body["comment_id"] = id("comment_id");
    url = id("url");
  } else if (type == meta::kMessenger) {
    if (!meta::IsGraphId(id("page_id"))) return bad_target("page_id");
    if (!meta::IsGraphId(id("psid"))) return bad_target("psid");
    req.url = config_.api_base + "/" + id("page_id") + "/messages";
    body = {{"recipient", {{"id", id("psid")}}}, {"message", {{"text", reply.text}}}};
    messaging_fields(body);
    window_text = window_closed;
  } else if (type == meta::kInstagramDm) {
    if (!meta::IsGraphId(id("igsid"))) return bad_target("igsid");
    // Instagram Messaging with Facebook Login: the Page token's own /me/messages (the Page
    // linked to the Instagram account) sends as the Instagram account.
    req.url = config_.api_base + "/me/messages";
    body = {{"recipient", {{"id", id("igsid")}}}, {"message", {{"text", reply.text}}}};
    if (human_agent) messaging_fields(body);
    window_text = window_closed;
  } else if (type == meta::kWhatsApp) {
    if (!meta::IsGraphId(id("phone_number_id"))) return bad_target("phone_number_id");
    const std::string to = id("to"), user_id = id("user_id");
    if (to.empty() && !meta::IsBsuid(user_id)) return bad_target("to or user_id");
    req.url = config_.api_base + "/" + id("phone_number_id") + "/messages";
    body = {{"messaging_product", "whatsapp"},
            {"recipient_type", "individual"},
            {"type", "text"},
            {"text", {{"preview_url", false}, {"body", reply.text}}}};
    // Meta prefers the phone number when it is known (to wins over recipient anyway).
    if (!to.empty()) {
      body["to"] = to;
      url = "https://wa.me/" + to;
    } else {
      body["recipient"] = user_id;
    }
    if (!id("message_id").empty()) body["context"] = {{"message_id", id("message_id")}};
    if (!config_.whatsapp_token.empty()) token = config_.whatsapp_token;
    window_text =
        "the 24-hour window has closed: the customer must write first, or a template message "
        "is needed";
  } else {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "unknown Meta reply target type '" +
                                                              text::TruncateUtf8(type, 40) + "'");
  }
  if (Status s = CheckMetaReplyLength(type, reply.text); !s.ok()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 s.message() + "; shorten it and reply again");
  }
  req.body = security::DumpJson(body);
  req.headers = {{"Authorization", "Bearer " + token}};
  DeliveryOutcome o = ClassifyMetaAnswer(http.Send(req), "the reply", window_text);
  if (o.kind == OutcomeKind::kDone) {
    if (type == meta::kFacebookComment && !url.empty() && !o.remote_id.empty()) {
      url += "&reply_comment_id=" + meta::LastPart(o.remote_id);
    }
    o.url = url;
  }
  return o;
}

}  // namespace duplex
