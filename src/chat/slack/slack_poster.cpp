#include "chat/slack/slack_poster.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <set>

#include "chat/slack/slack_limits.h"
#include "core/json_fields.h"
#include "core/log.h"
#include "core/text.h"
#include "security/untrusted_json.h"

namespace duplex {

using nlohmann::json;

namespace {

// The customer's words in a card's plain `text` (the notification, and the whole message when
// the blocks are refused): enough to read, far below the 40,000 Slack keeps.
constexpr std::size_t kCardTextChars = 3000;

bool IsAuthError(const std::string& e) {
  static const std::set<std::string> kAuth = {
      "invalid_auth",  "not_authed",    "account_inactive", "token_revoked",
      "token_expired", "no_permission", "missing_scope",    "org_login_required"};
  return kAuth.count(e) > 0;
}

bool IsTransientError(const std::string& e) {
  static const std::set<std::string> kTransient = {"ratelimited",         "rate_limited",
                                                   "internal_error",      "fatal_error",
                                                   "service_unavailable", "request_timeout"};
  return kTransient.count(e) > 0;
}

// Slack's explanation of a refusal (response_metadata.messages: "[ERROR] must be less than
// 3001 characters [json-pointer:/blocks/1/text/text]"), for the log.
std::string SlackMessagesOf(const HttpResult& result) {
  auto answer = json::parse(result.response.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("response_metadata")) return "";
  const json& meta = answer["response_metadata"];
  if (!meta.is_object() || !meta.contains("messages") || !meta["messages"].is_array()) return "";
  std::string out;
  for (const auto& m : meta["messages"]) {
    if (m.is_string()) out += (out.empty() ? "" : "; ") + m.get<std::string>();
  }
  return text::TruncateUtf8(out, 500);
}

// A display name in a customer reply: Slack allows 80 characters; longer is not a name.
constexpr std::size_t kMaxNameChars = 80;

}  // namespace

std::string SlackDialect::Escape(const std::string& text) const {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string SlackDialect::LinkTo(const std::string& url, const std::string& label) const {
  // IsLinkTarget kept out '|', '<', '>' and spaces, which would end the link early.
  return "<" + url + "|" + Escape(label) + ">";
}

namespace {
// "example.com/a" for "https://example.com/a/", "a@b.c" for "mailto:a@b.c".
bool LinkShowsItsAddress(std::string target, const std::string& label) {
  if (label == target) return true;
  for (const char* scheme : {"https://", "http://", "mailto:"}) {
    if (text::StartsWith(target, scheme)) {
      target.erase(0, std::string_view(scheme).size());
      break;
    }
  }
  if (!target.empty() && target.back() == '/' && (label.empty() || label.back() != '/'))
    target.pop_back();
  return label == target;
}
}  // namespace

std::string SlackDialect::PersonName(const std::string& id, int timeout_ms) const {
  if (directory_ == nullptr || !IsUserId(id)) return "";
  return directory_->NameOf(id, timeout_ms).value_or("");
}

namespace {
// "ana" for the label "@ana", "general" for "#general".
std::string Bare(std::string_view label) {
  while (!label.empty() && (label.front() == '@' || label.front() == '#')) label.remove_prefix(1);
  return std::string(label);
}
}  // namespace

std::string SlackDialect::ToPlain(const std::string& t) const {
  std::string out;
  out.reserve(t.size());
  // Name lookups share one budget, so a text naming many people still answers within Slack's
  // 3 seconds; past it only names already known are used.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kNameLookupBudgetMs);
  auto time_left = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
  };
  bool closers_left = true;  // once no '>' follows, none follows later either
  for (std::size_t i = 0; i < t.size();) {
    if (t[i] == '<' && closers_left) {
      std::size_t close = t.find('>', i + 1);
      closers_left = close != std::string::npos;
      if (close != std::string::npos) {
        std::string inner = t.substr(i + 1, close - i - 1);
        std::size_t bar = inner.find('|');
        std::string target = inner.substr(0, bar);
        std::string label = bar == std::string::npos ? "" : inner.substr(bar + 1);
        if (!target.empty() && (target[0] == '@' || target[0] == '#' || target[0] == '!')) {
          std::string word;
          if (!label.empty()) {
            word = Bare(label);  // escaped like the text around it
          } else if (target[0] == '@') {
            word = Escape(PersonName(target.substr(1), time_left()));
          } else if (target[0] == '!' && target.find('^') == std::string::npos) {
            word = target.substr(1);  // <!here>, <!channel>, <!everyone>
          }
          if (word.empty()) {
            // A mention left out leaves no double space and no space before punctuation.
            const bool at_end = close + 1 >= t.size();
            const char next = at_end ? ' ' : t[close + 1];
            if (!at_end && next == ' ' &&
                (out.empty() || out.back() == ' ' || out.back() == '\n')) {
              ++close;
            } else if (!out.empty() && out.back() == ' ' &&
                       (at_end ||
                        std::string_view(",.;:!?)\n").find(next) != std::string_view::npos)) {
              out.pop_back();
            }
          }
          out += word;
        } else {
          // Links: the label when it is the address itself (Slack's auto-links: what the
          // person typed), else "label (URL)", so the customer never gets a word without
          // its address.
          out += label.empty()                        ? target
                 : LinkShowsItsAddress(target, label) ? label
                                                      : label + " (" + target + ")";
        }
        i = close + 1;
        continue;
      }
    }
    out.push_back(t[i++]);
  }
  // Entities last, so an escaped "&lt;" never becomes markup above.
  std::string plain;
  plain.reserve(out.size());
  for (std::size_t i = 0; i < out.size();) {
    if (out.compare(i, 4, "&lt;") == 0) {
      plain.push_back('<');
      i += 4;
    } else if (out.compare(i, 4, "&gt;") == 0) {
      plain.push_back('>');
      i += 4;
    } else if (out.compare(i, 5, "&amp;") == 0) {
      plain.push_back('&');
      i += 5;
    } else {
      plain.push_back(out[i++]);
    }
  }
  return plain;
}

std::string SlackDialect::Time(UnixMs at) const {
  return "<!date^" + std::to_string(at / 1000) + "^{date_short_pretty} {time}|" +
         ChatDialect::Time(at) + ">";
}

bool SlackDialect::IsUserId(const std::string& id) const {
  if (id.size() < 2 || (id[0] != 'U' && id[0] != 'W')) return false;
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

SlackPoster::SlackPoster(SlackConfig config, HttpClient& http, const Clock* clock, Metrics* metrics)
    : config_(std::move(config)),
      http_(http),
      metrics_(metrics),
      directory_(
          [this](const std::string& id, int timeout_ms) { return LookUpUserName(id, timeout_ms); },
          clock != nullptr ? *clock : system_clock_),
      dialect_(&directory_) {}

std::string SlackPoster::BuildPostBody(const ChatMessage& message, bool plain) const {
  json body = BuildContent(message, plain);
  body["channel"] = message.channel;
  body["unfurl_links"] = false;
  body["unfurl_media"] = false;
  if (!message.thread.empty()) body["thread_ts"] = message.thread;
  return security::DumpJson(body);
}

std::string SlackPoster::BuildUpdateBody(const ChatMessage& message, const std::string& post_id,
                                         bool plain) const {
  json body = BuildContent(message, plain);
  body["channel"] = message.channel;
  body["ts"] = post_id;
  // Without blocks, chat.update would keep the old ones; an empty list clears them.
  if (!body.contains("blocks")) body["blocks"] = json::array();
  return security::DumpJson(body);
}

json SlackPoster::BuildContent(const ChatMessage& message, bool plain) const {
  json body = json::object();
  if (!message.card) {
    body["text"] = slack::FitMrkdwn(message.text, slack::kMessageTextMax);
    return body;
  }
  const MentionCard& c = *message.card;
  body["text"] =
      slack::FitMrkdwn(RenderCardText(c, dialect_, kCardTextChars), slack::kMessageTextMax);
  if (plain) return body;
  std::string head =
      "*#" + std::to_string(c.ref) + "* · " + c.platform_display + " " + ToString(c.kind);
  if (c.vip) head += " · :star: VIP";
  if (c.reopened) head += " · :arrows_counterclockwise: reopened (it was closed)";
  std::string who =
      "*" + dialect_.Escape(c.author.name.empty() ? c.author.handle : c.author.name) + "*";
  if (!c.author.name.empty() && !c.author.handle.empty() && c.author.handle != c.author.name) {
    who += " (" + dialect_.Escape("@" + c.author.handle) + ")";
  }
  if (c.author.followers) who += " · " + text::FormatThousands(*c.author.followers) + " followers";
  auto section = [](std::string mrkdwn) {
    return json{
        {"type", "section"},
        {"text", {{"type", "mrkdwn"}, {"text", slack::FitMrkdwn(mrkdwn, slack::kSectionTextMax)}}}};
  };
  json blocks = json::array();
  blocks.push_back(section(head + "\n" + who));
  // Escaped first, cut after: the limit counts "&amp;" as five characters.
  blocks.push_back(section(c.text.empty() ? "_(no text)_" : dialect_.Escape(c.text)));
  json context = json::array();
  auto element = [&](const std::string& mrkdwn) {
    context.push_back(
        {{"type", "mrkdwn"}, {"text", slack::FitMrkdwn(mrkdwn, slack::kTextObjectMax)}});
  };
  if (!c.permalink.empty()) element(dialect_.Link(c.permalink, "open on " + c.platform_display));
  if (!c.state_line.empty()) element(c.state_line);
  element("reply with `/duplex reply " + std::to_string(c.ref) + " …`");
  blocks.push_back({{"type", "context"}, {"elements", context}});
  if (c.root) blocks.push_back(RootButtons(c));
  body["blocks"] = blocks;
  return body;
}

json RootButtons(const MentionCard& c) {
  const std::string ref = std::to_string(c.ref);
  auto button = [&](const char* action, const char* label, const char* style) {
    json b = {{"type", "button"},
              {"action_id", action},
              {"value", ref},
              {"text", {{"type", "plain_text"}, {"text", label}}}};
    if (style != nullptr) b["style"] = style;
    return b;
  };
  json elements = json::array();
  if (c.closed) {
    elements.push_back(button(kActionReopen, "Reopen", nullptr));
  } else {
    elements.push_back(button(kActionReply, "Reply", "primary"));
    elements.push_back(button(kActionAssignMe, "Assign to me", nullptr));
    elements.push_back(button(kActionClose, "Close", nullptr));
  }
  return {{"type", "actions"}, {"block_id", "duplex_root_" + ref}, {"elements", elements}};
}

json ReplyModal(std::int64_t ref, const std::string& author) {
  const std::string title = "Reply to #" + std::to_string(ref);
  return {
      {"type", "modal"},
      {"callback_id", kReplyModalCallback},
      {"private_metadata", std::to_string(ref)},
      {"title", {{"type", "plain_text"}, {"text", slack::FitPlain(title, slack::kModalTitleMax)}}},
      {"submit", {{"type", "plain_text"}, {"text", "Send"}}},
      {"close", {{"type", "plain_text"}, {"text", "Cancel"}}},
      {"blocks",
       json::array(
           {{{"type", "input"},
             {"block_id", kReplyBlock},
             {"label",
              {{"type", "plain_text"},
               {"text", slack::FitPlain("Your reply to " + author, slack::kInputLabelMax)}}},
             {"element",
              {{"type", "plain_text_input"},
               {"action_id", kReplyInput},
               {"multiline", true},
               // Slack's most; the platform's own limit is checked on Send.
               {"max_length", slack::kPlainTextInputMax}}}}})}};
}

// A trigger expires 3 s after the click, so views.open cannot wait as long as a post.
constexpr int kInteractionTimeoutMs = 2'500;

DeliveryOutcome SlackPoster::OpenView(const std::string& trigger_id, const json& view) {
  return Call("views.open", security::DumpJson(json{{"trigger_id", trigger_id}, {"view", view}}),
              kInteractionTimeoutMs);
}

namespace {
// "https://host:port" of an absolute URL, with the trailing slash: "https://hooks.slack.com/".
std::string OriginOf(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  auto slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? url + "/" : url.substr(0, slash + 1);
}
}  // namespace

DeliveryOutcome SlackPoster::Respond(const std::string& response_url, const std::string& text) {
  const std::string origin = OriginOf(response_url);
  // Slack's hooks host, GovSlack's (it runs on slack-gov.com), or wherever api_base points
  // (a test's fake Slack). Nothing else: an interaction payload must not make duplex post to
  // an address of someone's choosing.
  const bool slack_host =
      origin == "https://hooks.slack.com/" || origin == "https://hooks.slack-gov.com/";
  if (origin.empty() || (!slack_host && origin != OriginOf(config_.api_base))) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 "response_url is not on Slack's hooks host");
  }
  HttpRequest req;
  req.url = response_url;
  req.content_type = "application/json; charset=utf-8";
  req.body = security::DumpJson(json{{"response_type", "ephemeral"},
                                     {"replace_original", false},
                                     {"unfurl_links", false},
                                     {"unfurl_media", false},
                                     {"text", slack::FitMrkdwn(text, slack::kMessageTextMax)}});
  req.timeout_ms = kInteractionTimeoutMs;
  req.ca_file = config_.ca_file;
  HttpResult r = http_.Send(req);
  if (!r.ok() || r.response.status != 200) return ClassifyHttpFailure(r, "Slack");
  return DeliveryOutcome::Done("");
}

DeliveryOutcome ClassifySlackAnswer(const HttpResult& result) {
  if (!result.ok() || result.response.status != 200) return ClassifyHttpFailure(result, "Slack");
  auto answer = json::parse(result.response.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("ok")) {
    return DeliveryOutcome::Fail(OutcomeKind::kUncertain, "Slack answered something unexpected");
  }
  if (answer.value("ok", false)) {
    return DeliveryOutcome::Done(answer.value("ts", std::string()));
  }
  std::string error = answer.value("error", std::string("unknown_error"));
  if (IsTransientError(error)) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "Slack error: " + error);
    o.retry_after_ms = ParseRetryAfterMs(result.response.Header("Retry-After"));
    return o;
  }
  auto o = DeliveryOutcome::Fail(OutcomeKind::kPermanent, "Slack error: " + error);
  o.auth_failure = IsAuthError(error);
  return o;
}

DeliveryOutcome SlackPoster::PostEphemeral(const std::string& channel, const std::string& user,
                                           const std::string& thread_ts, const std::string& text) {
  json body = {{"channel", channel},
               {"user", user},
               {"text", slack::FitMrkdwn(text, slack::kMessageTextMax)}};
  if (!thread_ts.empty()) body["thread_ts"] = thread_ts;
  return Call("chat.postEphemeral", security::DumpJson(body), kInteractionTimeoutMs);
}

std::optional<std::string> SlackPoster::LookUpUserName(const std::string& user_id, int timeout_ms) {
  HttpRequest req;
  req.method = "GET";
  req.url = config_.api_base + "/users.info?user=" + text::UrlEncode(user_id);
  req.headers = {{"Authorization", "Bearer " + config_.bot_token}};
  req.timeout_ms = timeout_ms;
  req.ca_file = config_.ca_file;
  HttpResult r = http_.Send(req);
  if (!r.ok() || r.response.status != 200) {
    log::Warn("slack users.info failed",
              {{"user", user_id},
               {"error", r.ok() ? "HTTP " + std::to_string(r.response.status) : r.error_message}});
    return std::nullopt;
  }
  auto answer = json::parse(r.response.body, nullptr, false);
  if (!answer.is_object() || !answer.value("ok", false) || !answer.contains("user") ||
      !answer["user"].is_object()) {
    log::Warn("slack users.info gave no user", {{"user", user_id}, {"error", SlackErrorOf(r)}});
    return std::nullopt;
  }
  const json& u = answer["user"];
  const json profile =
      u.contains("profile") && u["profile"].is_object() ? u["profile"] : json::object();
  auto string_at = [](const json& j, const char* key) { return text::Trim(JsonString(j, key)); };
  // The name Slack shows people: the display name they chose, else their full name.
  for (std::string name : {string_at(profile, "display_name"), string_at(profile, "real_name"),
                           string_at(u, "real_name"), string_at(u, "name")}) {
    // One line of text: the name sits inside the customer's reply.
    for (char& c : name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
    }
    name = text::Trim(text::SanitizeUtf8(name));
    if (!name.empty()) return slack::FitPlain(name, kMaxNameChars);
  }
  return std::nullopt;
}

HttpResult SlackPoster::Send(const std::string& method, std::string body, int timeout_ms) {
  HttpRequest req;
  req.url = config_.api_base + "/" + method;
  req.content_type = "application/json; charset=utf-8";
  req.headers = {{"Authorization", "Bearer " + config_.bot_token}};
  req.body = std::move(body);
  req.timeout_ms = timeout_ms;
  req.ca_file = config_.ca_file;
  return http_.Send(req);
}

DeliveryOutcome SlackPoster::Call(const std::string& method, std::string body, int timeout_ms) {
  return ClassifySlackAnswer(Send(method, std::move(body), timeout_ms));
}

DeliveryOutcome SlackPoster::CallWithPlainFallback(const std::string& method,
                                                   const ChatMessage& message, std::string body,
                                                   std::string plain_body) {
  HttpResult r = Send(method, std::move(body), config_.timeout_ms);
  const std::string error = SlackErrorOf(r);
  if (!message.card || !IsBlocksRefusal(error)) return ClassifySlackAnswer(r);
  // Slack checked the blocks and posted nothing, so the plain text cannot make a duplicate.
  log::Warn("slack refused the blocks; sending the message as plain text",
            {{"method", method},
             {"channel", message.channel},
             {"ref", message.card->ref},
             {"error", error},
             {"detail", SlackMessagesOf(r)}});
  if (metrics_ != nullptr) {
    metrics_->Inc("duplex_slack_plain_fallbacks_total", {{"method", method}, {"error", error}});
  }
  return Call(method, std::move(plain_body), config_.timeout_ms);
}

DeliveryOutcome SlackPoster::Post(const ChatMessage& message) {
  return CallWithPlainFallback("chat.postMessage", message, BuildPostBody(message),
                               BuildPostBody(message, /*plain=*/true));
}

DeliveryOutcome SlackPoster::Update(const ChatMessage& message, const std::string& post_id) {
  return CallWithPlainFallback("chat.update", message, BuildUpdateBody(message, post_id),
                               BuildUpdateBody(message, post_id, /*plain=*/true));
}

bool IsBlocksRefusal(const std::string& e) {
  static const std::set<std::string> kRefusals = {"invalid_blocks", "invalid_blocks_format",
                                                  "msg_blocks_too_long", "msg_too_long",
                                                  "invalid_arguments"};
  return kRefusals.count(e) > 0;
}

std::string SlackErrorOf(const HttpResult& result) {
  if (!result.ok() || result.response.status != 200) return "";
  auto answer = json::parse(result.response.body, nullptr, false);
  if (!answer.is_object() || answer.value("ok", true)) return "";
  const std::string error = JsonString(answer, "error");
  return error.empty() ? "unknown_error" : error;
}

}  // namespace duplex
