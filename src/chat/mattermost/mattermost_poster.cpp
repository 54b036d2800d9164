#include "chat/mattermost/mattermost_poster.h"

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace duplex {

using nlohmann::json;

void MattermostDirectory::Learn(const std::string& user_id, const std::string& user_name) {
  if (user_id.empty() || user_name.empty()) return;
  std::lock_guard lock(mu_);
  names_[user_id] = user_name;
}

std::string MattermostDirectory::NameOf(const std::string& user_id) const {
  std::lock_guard lock(mu_);
  auto it = names_.find(user_id);
  return it == names_.end() ? std::string() : it->second;
}

namespace {

constexpr const char* kZeroWidthSpace = "\xE2\x80\x8B";
// The Markdown characters marked, Mattermost's browser renderer, lets a backslash make literal
// (besides '\\' and '~', which need more). CommonMark (server, apps) accepts them all too.
constexpr std::string_view kBackslashed = "`*_{}[]()#+-.!>|";

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// What may come before the ':' of a URL scheme ("https", "svn+ssh", "x-y.z").
bool IsSchemeChar(char c) {
  return IsAsciiAlnum(c) || c == '+' || c == '-' || c == '.';
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string MattermostDialect::Escape(const std::string& text) const {
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (c) {
      case '\\':
        // marked makes "\\" one backslash only before a non-word character; before a letter or
        // digit a lone backslash is already literal in every Mattermost renderer.
        out += IsAsciiAlnum(next) ? "\\" : "\\\\";
        break;
      case '~':
        out += "\\~";
        out += kZeroWidthSpace;
        break;
      case '@':
        out.push_back('@');
        out += kZeroWidthSpace;
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '$':
        out += "&#36;";
        break;
      case '=':
        out += "&#61;";
        break;
      case ':':
        out += i > 0 && IsSchemeChar(text[i - 1]) && next != '\0' && !IsSpace(next) ? "&#58;" : ":";
        break;
      default:
        if (kBackslashed.find(c) != std::string_view::npos) out.push_back('\\');
        out.push_back(c);
    }
  }
  return out;
}

std::string MattermostDialect::Code(const std::string& text) const {
  std::string clean = text;
  for (char& c : clean) {
    if (c == '`') c = '\'';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "`" + clean + "`";
}

std::string MattermostDialect::User(const std::string& user_id) const {
  std::string name = directory_.NameOf(user_id);
  return "@" + (name.empty() ? user_id : name);
}

std::string MattermostDialect::LinkTo(const std::string& url, const std::string& label) const {
  std::string target;
  target.reserve(url.size());
  for (char c : url) {
    if (c == '(') {
      target += "%28";
    } else if (c == ')') {
      target += "%29";
    } else {
      target.push_back(c);
    }
  }
  return "[" + Escape(label) + "](" + target + ")";
}

bool MattermostDialect::IsUserId(const std::string& id) const {
  if (id.size() != 26) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string MattermostPoster::MessageText(const ChatMessage& message) const {
  std::string text = message.card ? RenderCardText(*message.card, dialect_, 12'000) : message.text;
  if (message.card) {
    text += "\n_reply with_ `/duplex reply " + std::to_string(message.card->ref) + " …`";
  }
  return text::TruncateUtf8(text, dialect_.MaxPostChars());
}

std::string MattermostPoster::BuildPostBody(const ChatMessage& message) const {
  json body = {{"channel_id", message.channel}, {"message", MessageText(message)}};
  if (!message.thread.empty()) body["root_id"] = message.thread;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

DeliveryOutcome ClassifyMattermostAnswer(const HttpResult& result) {
  if (result.ok() && (result.response.status == 200 || result.response.status == 201)) {
    auto answer = json::parse(result.response.body, nullptr, false);
    if (answer.is_object() && answer.contains("id") && answer["id"].is_string()) {
      return DeliveryOutcome::Done(answer["id"].get<std::string>());
    }
    return DeliveryOutcome::Fail(OutcomeKind::kUncertain, "Mattermost answered without a post id");
  }
  if (result.ok() && result.response.status == 429) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "Mattermost rate limit (HTTP 429)");
    o.retry_after_ms = ParseRetryAfterMs(result.response.Header("X-Ratelimit-Reset"));
    if (!o.retry_after_ms)
      o.retry_after_ms = ParseRetryAfterMs(result.response.Header("Retry-After"));
    return o;
  }
  DeliveryOutcome o = ClassifyHttpFailure(result, "Mattermost");
  if (result.ok() && result.response.status >= 400 && result.response.status < 500) {
    auto answer = json::parse(result.response.body, nullptr, false);
    if (answer.is_object() && answer.contains("message") && answer["message"].is_string()) {
      o.error = "Mattermost refused the post: " + answer["message"].get<std::string>();
    }
    o.auth_failure = result.response.status == 401 || result.response.status == 403;
  }
  return o;
}

DeliveryOutcome MattermostPoster::Update(const ChatMessage& message, const std::string& post_id) {
  HttpRequest req;
  req.method = "PUT";
  req.url = config_.api_base + "/api/v4/posts/" + text::UrlEncode(post_id) + "/patch";
  req.headers = {{"Authorization", "Bearer " + config_.bot_token}};
  req.body =
      json{{"message", MessageText(message)}}.dump(-1, ' ', false, json::error_handler_t::replace);
  req.timeout_ms = config_.timeout_ms;
  req.ca_file = config_.ca_file;
  return ClassifyMattermostAnswer(http_.Send(req));
}

DeliveryOutcome MattermostPoster::Post(const ChatMessage& message) {
  HttpRequest req;
  req.url = config_.api_base + "/api/v4/posts";
  req.headers = {{"Authorization", "Bearer " + config_.bot_token}};
  req.body = BuildPostBody(message);
  req.timeout_ms = config_.timeout_ms;
  req.ca_file = config_.ca_file;
  return ClassifyMattermostAnswer(http_.Send(req));
}

}  // namespace duplex
