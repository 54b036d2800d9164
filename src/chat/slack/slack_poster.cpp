#include "chat/slack/slack_poster.h"

#include <nlohmann/json.hpp>

#include <set>

#include "core/text.h"
#include "security/untrusted_json.h"

namespace duplex {

using nlohmann::json;

namespace {

// Slack limits a section's text to 3,000 characters; leave room for markup.
constexpr std::size_t kSectionChars = 2900;

bool IsAuthError(const std::string& e) {
  static const std::set<std::string> kAuth = {"invalid_auth", "not_authed", "account_inactive",
                                              "token_revoked", "token_expired", "no_permission",
                                              "missing_scope", "org_login_required"};
  return kAuth.count(e) > 0;
}

bool IsTransientError(const std::string& e) {
  static const std::set<std::string> kTransient = {"ratelimited", "rate_limited",
                                                   "internal_error", "fatal_error",
                                                   "service_unavailable", "request_timeout"};
  return kTransient.count(e) > 0;
}

}  // namespace

std::string SlackDialect::Escape(const std::string& text) const {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
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
  if (!target.empty() && target.back() == '/' && (label.empty() || label.back() != '/')) target.pop_back();
  return label == target;
}
}  // namespace

std::string SlackDialect::ToPlain(const std::string& t) const {
  std::string out;
  out.reserve(t.size());
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
        if (!target.empty() && (target[0] == '@' || target[0] == '#')) {
          // People and channels: the name Slack shows, or the bare id.
          out += target[0] + (label.empty() ? target.substr(1) : label);
        } else if (!target.empty() && target[0] == '!') {
          // Special mentions (<!here>, <!channel>): the word, without notifying anyone.
          out += "@" + (label.empty() ? target.substr(1) : label);
        } else {
          // Links: the label when it is the address itself (Slack's auto-links: what the
          // person typed), else "label (URL)", so the customer never gets a word without
          // its address.
          out += label.empty() ? target : LinkShowsItsAddress(target, label) ? label : label + " (" + target + ")";
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

std::string SlackPoster::BuildPostBody(const ChatMessage& message) const {
  json body = BuildContent(message);
  body["channel"] = message.channel;
  body["unfurl_links"] = false;
  body["unfurl_media"] = false;
  if (!message.thread.empty()) body["thread_ts"] = message.thread;
  return security::DumpJson(body);
}

std::string SlackPoster::BuildUpdateBody(const ChatMessage& message,
                                         const std::string& post_id) const {
  json body = BuildContent(message);
  body["channel"] = message.channel;
  body["ts"] = post_id;
  // Without blocks, chat.update would keep the old ones; an empty list clears them.
  if (!body.contains("blocks")) body["blocks"] = json::array();
  return security::DumpJson(body);
}

json SlackPoster::BuildContent(const ChatMessage& message) const {
  json body = json::object();
  if (!message.card) {
    body["text"] = text::TruncateUtf8(message.text, 39'000);
    return body;
  }
  const MentionCard& c = *message.card;
  body["text"] = RenderCardText(c, dialect_, 3000);
  std::string head = "*#" + std::to_string(c.ref) + "* · " + c.platform_display + " " +
                     ToString(c.kind);
  if (c.vip) head += " · :star: VIP";
  if (c.reopened) head += " · :arrows_counterclockwise: reopened (it was closed)";
  std::string who = "*" + dialect_.Escape(c.author.name.empty() ? c.author.handle : c.author.name) + "*";
  if (!c.author.name.empty() && !c.author.handle.empty() && c.author.handle != c.author.name) {
    who += " (" + dialect_.Escape("@" + c.author.handle) + ")";
  }
  if (c.author.followers) who += " · " + text::FormatThousands(*c.author.followers) + " followers";
  json blocks = json::array();
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", head + "\n" + who}}}});
  std::string quoted = dialect_.Escape(text::TruncateUtf8(c.text, kSectionChars));
  if (quoted.empty()) quoted = "_(no text)_";
  blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", quoted}}}});
  json context = json::array();
  if (!c.permalink.empty()) {
    context.push_back({{"type", "mrkdwn"}, {"text", dialect_.Link(c.permalink, "open on " + c.platform_display)}});
  }
  if (!c.state_line.empty()) context.push_back({{"type", "mrkdwn"}, {"text", c.state_line}});
  context.push_back({{"type", "mrkdwn"},
                     {"text", "reply with `/duplex reply " + std::to_string(c.ref) + " …`"}});
  blocks.push_back({{"type", "context"}, {"elements", context}});
  if (c.root) blocks.push_back(RootButtons(c));
  body["blocks"] = blocks;
  return body;
}

json RootButtons(const MentionCard& c) {
  const std::string ref = std::to_string(c.ref);
  auto button = [&](const char* action, const char* label, const char* style) {
    json b = {{"type", "button"}, {"action_id", action}, {"value", ref},
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
  return {{"type", "modal"},
          {"callback_id", kReplyModalCallback},
          {"private_metadata", std::to_string(ref)},
          {"title", {{"type", "plain_text"}, {"text", text::TruncateUtf8(title, 24)}}},
          {"submit", {{"type", "plain_text"}, {"text", "Send"}}},
          {"close", {{"type", "plain_text"}, {"text", "Cancel"}}},
          {"blocks",
           json::array({{{"type", "input"},
                         {"block_id", kReplyBlock},
                         {"label", {{"type", "plain_text"},
                                    {"text", text::TruncateUtf8("Your reply to " + author, 2000)}}},
                         {"element", {{"type", "plain_text_input"},
                                      {"action_id", kReplyInput},
                                      {"multiline", true}}}}})}};
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
  if (origin.empty() || (origin != "https://hooks.slack.com/" && origin != OriginOf(config_.api_base))) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "response_url is not on Slack's hooks host");
  }
  HttpRequest req;
  req.url = response_url;
  req.content_type = "application/json; charset=utf-8";
  req.body = security::DumpJson(json{{"response_type", "ephemeral"},
                                     {"replace_original", false},
                                     {"unfurl_links", false},
                                     {"unfurl_media", false},
                                     {"text", text}});
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

DeliveryOutcome SlackPoster::Call(const std::string& method, std::string body, int timeout_ms) {
  HttpRequest req;
  req.url = config_.api_base + "/" + method;
  req.content_type = "application/json; charset=utf-8";
  req.headers = {{"Authorization", "Bearer " + config_.bot_token}};
  req.body = std::move(body);
  req.timeout_ms = timeout_ms;
  req.ca_file = config_.ca_file;
  return ClassifySlackAnswer(http_.Send(req));
}

DeliveryOutcome SlackPoster::Post(const ChatMessage& message) {
  return Call("chat.postMessage", BuildPostBody(message), config_.timeout_ms);
}

DeliveryOutcome SlackPoster::Update(const ChatMessage& message, const std::string& post_id) {
  return Call("chat.update", BuildUpdateBody(message, post_id), config_.timeout_ms);
}

}  // namespace duplex
