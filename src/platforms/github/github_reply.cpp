// GitHub replies: an issue comment or a review-thread reply through REST, a discussion
// comment through GraphQL, and the mapping of GitHub's answers onto delivery outcomes.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/json_fields.h"
#include "core/text.h"
#include "core/version.h"
#include "platforms/github/github_connector.h"
#include "platforms/github/github_target.h"
#include "security/untrusted_json.h"

namespace duplex {
namespace {

using nlohmann::json;

// GitHub asks to wait at least a minute after a secondary rate limit without retry-after.
constexpr std::int64_t kDefaultRateLimitWaitMs = 60'000;

const json& Path(const json& root, std::initializer_list<const char*> keys) {
  static const json kNull;
  const json* cur = &root;
  for (const char* k : keys) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(k);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

// The wait GitHub asks for: retry-after (seconds), else x-ratelimit-reset (epoch seconds)
// when the quota is used up, else a minute.
std::int64_t RateLimitWaitMs(const HttpResponse& res, UnixMs now) {
  if (auto ms = ParseRetryAfterMs(res.Header("retry-after"))) return *ms;
  if (res.Header("x-ratelimit-remaining") == "0") {
    if (auto reset = text::ParseInt64(res.Header("x-ratelimit-reset"))) {
      return std::clamp<std::int64_t>(*reset * 1000 - now, 1000, 3'600'000);
    }
  }
  return kDefaultRateLimitWaitMs;
}

DeliveryOutcome GraphQlErrors(const json& answer, const HttpResponse& res, UnixMs now) {
  const json& errors = Path(answer, {"errors"});
  std::string messages;
  bool rate_limited = false;
  if (errors.is_array()) {
    for (const auto& e : errors) {
      rate_limited = rate_limited || JsonString(e, "type") == "RATE_LIMITED";
      std::string m = JsonString(e, "message");
      if (!m.empty()) messages += (messages.empty() ? "" : "; ") + m;
    }
  }
  if (messages.empty()) messages = "no comment in GitHub's answer";
  messages = text::TruncateUtf8(messages, 300);
  if (rate_limited) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "GitHub rate limit: " + messages);
    o.retry_after_ms = RateLimitWaitMs(res, now);
    return o;
  }
  return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "GitHub refused the reply: " + messages);
}

}  // namespace

DeliveryOutcome ClassifyGitHubAnswer(const HttpResult& result, UnixMs now) {
  if (!result.ok()) return ClassifyHttpFailure(result, "GitHub");
  const HttpResponse& res = result.response;
  auto answer = json::parse(res.body, nullptr, false);
  if (res.status >= 200 && res.status < 300) {
    const json& idv = Path(answer, {"id"});
    std::string id = idv.is_number_integer() ? std::to_string(idv.get<std::int64_t>())
                                             : JsonString(answer, "id");
    return DeliveryOutcome::Done(id, JsonString(answer, "html_url"));
  }
  const std::string message = text::TruncateUtf8(JsonString(answer, "message"), 300);
  const std::string what =
      "HTTP " + std::to_string(res.status) + (message.empty() ? "" : ": " + message);
  const bool limited =
      res.status == 429 ||
      (res.status == 403 &&
       (res.Header("x-ratelimit-remaining") == "0" || !res.Header("retry-after").empty() ||
        text::ToLowerAscii(message).find("rate limit") != std::string::npos));
  if (limited) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kRetry, "GitHub rate limit (" + what + ")");
    o.retry_after_ms = RateLimitWaitMs(res, now);
    return o;
  }
  if (res.status == 401) {
    auto o = DeliveryOutcome::Fail(OutcomeKind::kPermanent, "GitHub rejected the token (" + what +
                                                                "); an admin must renew it");
    o.auth_failure = true;
    return o;
  }
  if (res.status >= 500) {
    return DeliveryOutcome::Fail(OutcomeKind::kUncertain, "GitHub server error (" + what + ")");
  }
  std::string why = "GitHub refused the reply (" + what + ")";
  if (res.status == 404) why += ": the issue or repository is gone, or the token cannot see it";
  if (res.status == 410) why += ": the issue was deleted";
  return DeliveryOutcome::Fail(OutcomeKind::kPermanent, why);
}

HttpRequest GitHubConnector::GraphQlRequest(std::string body) const {
  HttpRequest req = ApiRequest("", std::move(body));
  req.url = config_.graphql_url;
  return req;
}

HttpRequest GitHubConnector::ApiRequest(const std::string& path, std::string body) const {
  HttpRequest req;
  req.url = config_.api_base + path;
  req.body = std::move(body);
  req.timeout_ms = config_.timeout_ms;
  req.ca_file = config_.ca_file;
  req.headers = {{"Authorization", "Bearer " + config_.token},
                 {"Accept", "application/vnd.github+json"},
                 {"User-Agent", std::string("duplex/") + Version()},
                 {"X-GitHub-Api-Version", "2022-11-28"}};
  return req;
}

DeliveryOutcome GitHubConnector::SendReply(const ReplyRequest& reply, HttpClient& http) const {
  if (config_.token.empty()) {
    return DeliveryOutcome::Fail(
        OutcomeKind::kPermanent,
        "platforms.github.token is not configured, so duplex cannot reply on GitHub");
  }
  auto target = json::parse(reply.reply_target, nullptr, false);
  const std::string type = JsonString(target, "type");
  const std::string repo = JsonString(target, "repo");
  const json& number = Path(target, {"number"});
  if (!github::IsRepoName(repo) || !number.is_number_integer()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 "the customer's message has no valid GitHub reply target");
  }
  if (type == github::kDiscussion) return SendDiscussionReply(target, reply, http);
  std::string path;
  if (type == github::kIssue) {
    path = "/repos/" + repo + "/issues/" + std::to_string(number.get<std::int64_t>()) + "/comments";
  } else if (type == github::kReviewComment) {
    const json& comment = Path(target, {"comment_id"});
    if (!comment.is_number_integer()) {
      return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                   "the stored reply target has no review comment id");
    }
    // GitHub's "create a reply for a review comment": into the thread of that first comment.
    path = "/repos/" + repo + "/pulls/" + std::to_string(number.get<std::int64_t>()) +
           "/comments/" + std::to_string(comment.get<std::int64_t>()) + "/replies";
  } else {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "unknown GitHub reply target type");
  }
  HttpRequest req = ApiRequest(path, security::DumpJson(json{{"body", reply.text}}));
  DeliveryOutcome o = ClassifyGitHubAnswer(http.Send(req), reply.now);
  // The id Parse gives the webhook GitHub sends for this very comment: it is our echo.
  if (o.kind == OutcomeKind::kDone && !o.remote_id.empty()) {
    o.remote_id =
        (type == github::kIssue ? "issue_comment:" : "pull_request_review_comment:") + o.remote_id;
  }
  return o;
}

DeliveryOutcome GitHubConnector::SendDiscussionReply(const json& target, const ReplyRequest& reply,
                                                     HttpClient& http) const {
  const std::string discussion_id = JsonString(target, "discussion_id");
  if (discussion_id.empty()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 "the stored reply target has no discussion id");
  }
  std::string reply_to = JsonString(target, "comment_id");
  if (!reply_to.empty() && Path(target, {"comment_is_reply"}) == true) {
    // Only top comments take replies: ask GitHub which one this reply belongs to. It is a
    // read, so any failure here is safe to retry.
    const json query = {
        {"query",
         "query($id: ID!) { node(id: $id) { ... on DiscussionComment { replyTo { id } } } }"},
        {"variables", {{"id", reply_to}}}};
    HttpResult res = http.Send(GraphQlRequest(security::DumpJson(query)));
    DeliveryOutcome o = ClassifyGitHubAnswer(res, reply.now);
    if (o.kind == OutcomeKind::kUncertain) o.kind = OutcomeKind::kRetry;
    if (o.kind != OutcomeKind::kDone) return o;
    auto answer = json::parse(res.response.body, nullptr, false);
    const json& top = Path(answer, {"data", "node", "replyTo", "id"});
    if (!top.is_string()) return GraphQlErrors(answer, res.response, reply.now);
    reply_to = top.get<std::string>();
  }
  json variables = {{"discussionId", discussion_id}, {"body", reply.text}};
  if (!reply_to.empty()) variables["replyToId"] = reply_to;
  const json mutation = {
      {"query",
       "mutation($discussionId: ID!, $body: String!, $replyToId: ID) { addDiscussionComment(input: "
       "{discussionId: $discussionId, body: $body, replyToId: $replyToId}) { comment { id "
       "databaseId url } } }"},
      {"variables", variables}};
  HttpResult res = http.Send(GraphQlRequest(security::DumpJson(mutation)));
  DeliveryOutcome o = ClassifyGitHubAnswer(res, reply.now);
  if (o.kind != OutcomeKind::kDone) return o;
  auto answer = json::parse(res.response.body, nullptr, false);
  const json& comment = Path(answer, {"data", "addDiscussionComment", "comment"});
  if (comment.is_object() && !JsonString(comment, "id").empty()) {
    // The discussion_comment webhook names the comment by its database id, as Parse does.
    const json& database_id = Path(comment, {"databaseId"});
    return DeliveryOutcome::Done(
        database_id.is_number_integer()
            ? "discussion_comment:" + std::to_string(database_id.get<std::int64_t>())
            : JsonString(comment, "id"),
        JsonString(comment, "url"));
  }
  if (Path(answer, {"errors"}).is_array()) return GraphQlErrors(answer, res.response, reply.now);
  return DeliveryOutcome::Fail(OutcomeKind::kUncertain,
                               "GitHub answered the comment without saying if it was posted");
}

}  // namespace duplex
