// GitHub connector: configuration, signature check, event parsing and the sample webhook.
// Replies are in github_reply.cpp.
#include "platforms/github/github_connector.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/config_section.h"
#include "core/log.h"
#include "core/text.h"
#include "platforms/github/github_target.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex {
namespace {

using nlohmann::json;

// The /user lookup runs while GitHub waits for the webhook's answer (10 seconds at most).
constexpr int kLoginLookupTimeoutMs = 2'000;

// Required fields of an event payload; the first problem is kept.
class Reader {
 public:
  const json& Obj(const json& obj, const char* key, const std::string& path) {
    static const json kEmpty = json::object();
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_object()) {
      Fail(path + "." + key + " must be an object");
      return kEmpty;
    }
    return *it;
  }
  std::string Str(const json& obj, const char* key, const std::string& path, bool required) {
    std::string out;
    Status s = security::GetString(obj, key, path, out);
    if (!s.ok()) Fail(s.message());
    if (s.ok() && required && out.empty()) Fail(path + "." + key + " is required");
    return out;
  }
  // GitHub ids and numbers are JSON integers.
  std::int64_t Int(const json& obj, const char* key, const std::string& path) {
    std::optional<std::int64_t> out;
    Status s = security::GetInt(obj, key, path, out);
    if (!s.ok()) Fail(s.message());
    if (s.ok() && !out) Fail(path + "." + key + " is required");
    return out.value_or(0);
  }
  void Fail(const std::string& why) {
    if (status_.ok()) status_ = Status::Invalid(why);
  }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

bool SameLogin(const std::string& a, const std::string& b) {
  return !a.empty() && text::ToLowerAscii(a) == text::ToLowerAscii(b);
}

// The GitHub App a comment or issue was created through, if any.
std::optional<std::int64_t> PerformedViaApp(const json& obj) {
  auto app = obj.find("performed_via_github_app");
  if (app == obj.end() || !app->is_object()) return std::nullopt;
  auto id = app->find("id");
  if (id == app->end() || !id->is_number_integer()) return std::nullopt;
  return id->get<std::int64_t>();
}

}  // namespace

std::unique_ptr<PlatformConnector> MakeGitHubConnector(const json& config, const std::string& path,
                                                       std::vector<std::string>& errors,
                                                       HttpClient* http) {
  ConfigSection section(config, path, errors);
  GitHubConfig c;
  c.secret = section.Secret("secret");
  c.token = section.String("token");
  c.api_base = section.Url("api_base", c.api_base);
  c.graphql_url = section.Url("graphql_url", GitHubGraphQlUrl(c.api_base));
  c.bot_login = section.String("bot_login");
  if (section.Has("app_id")) c.app_id = section.Int("app_id", 0, 1, INT64_MAX);
  c.ca_file = section.String("ca_file");
  c.timeout_ms = static_cast<int>(section.Int("timeout_ms", c.timeout_ms, 100, 120'000));
  return std::make_unique<GitHubConnector>(std::move(c), http);
}

std::string GitHubGraphQlUrl(const std::string& api_base) {
  static const std::string kRestSuffix = "/api/v3";
  if (api_base.size() >= kRestSuffix.size() &&
      api_base.compare(api_base.size() - kRestSuffix.size(), kRestSuffix.size(), kRestSuffix) ==
          0) {
    return api_base.substr(0, api_base.size() - kRestSuffix.size()) + "/api/graphql";
  }
  return api_base + "/graphql";
}

std::string GitHubConnector::OwnLogin(UnixMs now) const {
  if (!config_.bot_login.empty()) return config_.bot_login;
  return self_->Get("", now, [this] { return LookUpLogin(); }).value_or("");
}

SelfIdentity::Answer GitHubConnector::LookUpLogin() const {
  if (http_ == nullptr || config_.token.empty()) return {std::nullopt, true};
  HttpRequest req = ApiRequest("/user", "");
  req.method = "GET";
  req.timeout_ms = std::min(kLoginLookupTimeoutMs, config_.timeout_ms);
  HttpResult res = http_->Send(req);
  const int status = res.response.status;
  if (res.ok() && status == 200) {
    auto answer = json::parse(res.response.body, nullptr, false);
    auto login = answer.is_object() ? answer.find("login") : answer.end();
    if (answer.is_object() && login != answer.end() && login->is_string() &&
        !login->get<std::string>().empty()) {
      log::Info("github: our own login learned; its events are ignored",
                {{"login", login->get<std::string>()}});
      return {login->get<std::string>(), false};
    }
  }
  if (res.ok() && (status == 401 || status == 403 || status == 404)) {
    log::Warn(
        "github: the token cannot read GET /user (a GitHub App installation token cannot), so "
        "duplex does not know its own login: set platforms.github.bot_login (for an app, "
        "\"<app-slug>[bot]\") or app_id, or comments the account writes outside duplex are "
        "taken for customers'",
        {{"status", status}});
    return {std::nullopt, true};
  }
  log::Warn("github: GET /user failed; asking again in a minute",
            {{"status", status}, {"error", res.error_message}});
  return {std::nullopt, false};
}

Status GitHubConnector::Verify(const InboundRequest& r) const {
  return security::VerifyHubSignature256(config_.secret, r.Header("X-Hub-Signature-256"), r.body);
}

Status GitHubConnector::ValidateReply(const std::string& text,
                                      const std::string& /*conversation_key*/) const {
  if (text.empty()) return Status::Invalid("the reply text is empty");
  if (text::CountCodePoints(text) > github::kMaxCommentChars) {
    return Status::Invalid("GitHub comments are limited to " +
                           std::to_string(github::kMaxCommentChars) + " characters");
  }
  return Status::Ok();
}

Result<ParsedWebhook> GitHubConnector::Parse(const InboundRequest& r) const {
  const std::string event = r.Header("X-GitHub-Event");
  if (event.empty()) return Status::Invalid("missing X-GitHub-Event");
  ParsedWebhook out;
  if (event == "ping") {
    out.response = InboundResponse{200, "application/json", R"({"ok":true,"pong":true})"};
    return out;
  }
  const bool issue_event = event == "issues", issue_comment = event == "issue_comment",
             discussion_event = event == "discussion",
             discussion_comment = event == "discussion_comment",
             review_comment = event == "pull_request_review_comment";
  if (!issue_event && !issue_comment && !discussion_event && !discussion_comment &&
      !review_comment) {
    return out;
  }

  auto parsed = security::ParseUntrustedJson(r.body);
  if (!parsed.ok()) return parsed.status();
  const json& body = *parsed;
  if (!body.is_object()) return Status::Invalid("body must be a JSON object");
  Reader rd;
  const std::string action = rd.Str(body, "action", "body", true);
  if (!rd.status().ok()) return rd.status();
  const bool edited = action == "edited";
  const bool created = issue_event ? action == "opened" : action == "created";
  if (!created && !edited) return out;  // deletions, labels, closes...

  const json& sender = rd.Obj(body, "sender", "body");
  const std::string sender_login = rd.Str(sender, "login", "body.sender", true);
  const json& repo = rd.Obj(body, "repository", "body");
  const std::string full_name = rd.Str(repo, "full_name", "body.repository", true);
  // The thing that was opened (issue, discussion, pull request) and the message itself (the
  // issue or discussion, or a comment on it).
  const char* parent_key = issue_event || issue_comment ? "issue"
                           : review_comment             ? "pull_request"
                                                        : "discussion";
  const json& parent = rd.Obj(body, parent_key, std::string("body"));
  const std::int64_t number = rd.Int(parent, "number", std::string("body.") + parent_key);
  const bool is_comment = issue_comment || discussion_comment || review_comment;
  const std::string item_path = is_comment ? "body.comment" : std::string("body.") + parent_key;
  const json& item = is_comment ? rd.Obj(body, "comment", "body") : parent;
  const std::int64_t item_id = rd.Int(item, "id", item_path);
  const std::string item_body = rd.Str(item, "body", item_path, false);
  const std::string html_url = rd.Str(item, "html_url", item_path, false);
  const json& user = rd.Obj(item, "user", item_path);
  const std::string login = rd.Str(user, "login", item_path + ".user", true);
  const std::int64_t user_id = rd.Int(user, "id", item_path + ".user");
  const std::string title = is_comment ? "" : rd.Str(parent, "title", item_path, false);
  // Which version an edit is: GitHub sets updated_at on every issue and comment.
  const std::string updated_at = edited ? rd.Str(item, "updated_at", item_path, true) : "";
  std::string discussion_node, comment_node;
  std::optional<std::int64_t> reply_parent;
  if (discussion_event || discussion_comment) {
    discussion_node = rd.Str(parent, "node_id", "body.discussion", true);
  }
  if (discussion_comment) {
    comment_node = rd.Str(item, "node_id", item_path, true);
    if (Status s = security::GetInt(item, "parent_id", item_path, reply_parent); !s.ok())
      rd.Fail(s.message());
  }
  if (review_comment) {
    if (Status s = security::GetInt(item, "in_reply_to_id", item_path, reply_parent); !s.ok())
      rd.Fail(s.message());
  }
  if (!rd.status().ok()) return rd.status();
  if (!github::IsRepoName(full_name))
    return Status::Invalid("body.repository.full_name is not owner/repo");

  // Our own comments come back as events: answering them would loop.
  if (config_.app_id && PerformedViaApp(item) == config_.app_id) return out;
  const std::string own = OwnLogin(r.now);
  if (SameLogin(own, sender_login) || SameLogin(own, login)) return out;

  const std::string kind_prefix = issue_event ? "issue" : event;
  Mention m;
  m.platform = kGitHubPlatform;
  m.message_id = kind_prefix + ":" + std::to_string(item_id);
  if (edited) {
    // The version, not the delivery, is what must be posted once: the signed body names it.
    m.edited = true;
    m.event_id = m.message_id + "@edit:" + updated_at;
  } else {
    m.event_id = r.Header("X-GitHub-Delivery");
    // Header bytes are not checked by any JSON parser; stored ids must be text.
    if (text::SanitizeUtf8(m.event_id) != m.event_id) {
      return Status::Invalid("X-GitHub-Delivery must be UTF-8");
    }
    if (m.event_id.empty()) m.event_id = m.message_id;
  }
  m.kind = is_comment ? MentionKind::kComment : MentionKind::kDirect;
  m.author.id = std::to_string(user_id);
  m.author.handle = login;
  m.text = is_comment ? item_body : (item_body.empty() ? title : title + "\n\n" + item_body);
  if (edited) m.text = kEditedMarker + m.text;
  m.permalink = html_url;
  json target = {{"repo", full_name}, {"number", number}};
  if (issue_event || issue_comment) {
    m.conversation_key = full_name + "#" + std::to_string(number);
    target["type"] = github::kIssue;
  } else if (review_comment) {
    // The pull request is the conversation, as for its other comments; the reply goes into
    // the comment's review thread, which GitHub names by its first comment (threads are one
    // level deep: in_reply_to_id is that first comment).
    m.conversation_key = full_name + "#" + std::to_string(number);
    target["type"] = github::kReviewComment;
    target["comment_id"] = reply_parent.value_or(item_id);
    if (reply_parent) {
      m.parent_message_id = "pull_request_review_comment:" + std::to_string(*reply_parent);
    }
  } else {
    m.conversation_key = full_name + "/discussions/" + std::to_string(number);
    target["type"] = github::kDiscussion;
    target["discussion_id"] = discussion_node;
    if (discussion_comment) {
      target["comment_id"] = comment_node;
      // Discussion threads are one level deep: a reply to a reply goes to the top comment,
      // whose node id only GitHub knows; SendReply asks for it.
      target["comment_is_reply"] = reply_parent.has_value();
      if (reply_parent) m.parent_message_id = "discussion_comment:" + std::to_string(*reply_parent);
    }
  }
  m.reply_target = security::DumpJson(target);
  out.mentions.push_back(std::move(m));
  return out;
}

HttpRequest GitHubConnector::SampleWebhook(const std::string& base_url, const std::string& text,
                                           const std::string& event_id, UnixMs now) const {
  const std::int64_t comment_id = 1'000'000 + static_cast<std::int64_t>(now % 1'000'000);
  const json user = {{"login", "ana-customer"}, {"id", 583231}, {"type", "User"}};
  const std::string body = security::DumpJson(json{
      {"action", "created"},
      {"issue",
       {{"number", 42},
        {"title", "Export fails with a timeout"},
        {"html_url", "https://github.com/acme/widgets/issues/42"},
        {"user", user},
        {"state", "open"}}},
      {"comment",
       {{"id", comment_id},
        {"node_id", "IC_kwDOsample"},
        {"html_url",
         "https://github.com/acme/widgets/issues/42#issuecomment-" + std::to_string(comment_id)},
        {"body", text},
        {"user", user}}},
      {"repository", {{"id", 1296269}, {"full_name", "acme/widgets"}, {"private", false}}},
      {"sender", user}});
  HttpRequest req;
  req.url = base_url + "/webhooks/github";
  req.body = body;
  req.headers = {{"X-GitHub-Event", "issue_comment"},
                 {"X-GitHub-Delivery", event_id},
                 {"X-Hub-Signature-256", security::SignHubSignature256(config_.secret, body)}};
  return req;
}

}  // namespace duplex
