// The `github` platform: a repository, organization or GitHub App webhook.
//
// Guarantees:
// - Verify checks X-Hub-Signature-256 over the raw body bytes as received.
// - Parse: `ping` is answered and stores nothing; an issue opened and a discussion created
//   are `direct` mentions; a new issue/PR comment, discussion comment and pull request review
//   comment (`pull_request_review_comment`) are `comment` mentions. The `edited` action of
//   each of these is the same message again (Mention::edited): its text after kEditedMarker,
//   its event id "<message id>@edit:<updated_at>" (each version once, however often it is
//   delivered). Everything else (deletions, labels, other events) and every event sent by
//   our own account or app is acknowledged and ignored. Our account is `bot_login` when it
//   is set; otherwise the login GET {api_base}/user gives for the token, asked on the first
//   event that needs it with a short timeout, again a minute after a failure, and never
//   again after a 401/403/404 (a GitHub App installation token cannot read /user: the log
//   then advises setting bot_login). Our app is `app_id`. The dedup id of a new message is
//   X-GitHub-Delivery (GitHub keeps it when an event is redelivered). The conversation is
//   the issue or PR (`owner/repo#12`, review comments included) or the discussion
//   (`owner/repo/discussions/7`). A message id is "<kind>:<GitHub id>" (issue, issue_comment,
//   pull_request_review_comment, discussion, discussion_comment; GitHub's numeric id).
// - SendReply posts one issue comment (REST), one reply in the review thread of a review
//   comment (REST), or one discussion comment (GraphQL addDiscussionComment, in the thread of
//   the comment answered). Its remote id is the new comment's message id as Parse would give
//   it (a discussion comment's databaseId is asked for), so GitHub's webhook for our own
//   reply is recognised as its echo (Store::Ingest). GraphQL goes to `graphql_url`: by
//   default derived from api_base (GitHubGraphQlUrl). Rate limits (403/429 with
//   x-ratelimit-remaining 0, retry-after, or a secondary limit) retry after GitHub's hint;
//   401 is an auth failure; other 4xx are permanent with GitHub's message; 5xx and timeouts
//   are uncertain.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platforms/platform.h"
#include "platforms/self_identity.h"

namespace duplex {

struct GitHubConfig {
  std::string secret;  // the webhook secret
  std::string token;   // for replies: a fine-grained/app token with issues and discussions write
  std::string api_base = "https://api.github.com";  // REST
  std::string graphql_url = "https://api.github.com/graphql";
  std::string bot_login;  // events sent by this login are ours (e.g. "duplex-bot", "duplex[bot]")
  std::optional<std::int64_t> app_id;  // comments performed via this GitHub App are ours
  std::string ca_file;
  int timeout_ms = 10'000;
};

class GitHubConnector final : public PlatformConnector {
 public:
  // `http` (may be null: only bot_login then says who we are) serves the GET /user made
  // while parsing.
  explicit GitHubConnector(GitHubConfig config, HttpClient* http = nullptr)
      : config_(std::move(config)), http_(http), self_(std::make_unique<SelfIdentity>()) {}
  std::string Name() const override { return "github"; }
  std::string DisplayName() const override { return "GitHub"; }
  Status Verify(const InboundRequest& request) const override;
  Result<ParsedWebhook> Parse(const InboundRequest& request) const override;
  DeliveryOutcome SendReply(const ReplyRequest& reply, HttpClient& http) const override;
  Status ValidateReply(const std::string& text, const std::string& conversation_key) const override;
  HttpRequest SampleWebhook(const std::string& base_url, const std::string& text,
                            const std::string& event_id, UnixMs now) const override;

 private:
  HttpRequest ApiRequest(const std::string& path, std::string body) const;
  HttpRequest GraphQlRequest(std::string body) const;
  DeliveryOutcome SendDiscussionReply(const nlohmann::json& target, const ReplyRequest& reply,
                                      HttpClient& http) const;
  // Our account's login: bot_login, else what GET /user answered; "" while unknown.
  std::string OwnLogin(UnixMs now) const;
  SelfIdentity::Answer LookUpLogin() const;
  GitHubConfig config_;
  HttpClient* http_;
  std::unique_ptr<SelfIdentity> self_;  // internally synchronized
};

std::unique_ptr<PlatformConnector> MakeGitHubConnector(const nlohmann::json& config,
                                                       const std::string& path,
                                                       std::vector<std::string>& errors,
                                                       HttpClient* http);

// The GraphQL endpoint that goes with a REST base: https://api.github.com/graphql for
// GitHub.com; https://HOST/api/graphql for GitHub Enterprise Server, whose REST base is
// https://HOST/api/v3 (as octokit/graphql.js derives it); otherwise api_base + "/graphql".
std::string GitHubGraphQlUrl(const std::string& api_base);

// How GitHub's answer to a REST call maps onto delivery (exposed for tests); `now` turns
// x-ratelimit-reset (epoch seconds) into a wait.
DeliveryOutcome ClassifyGitHubAnswer(const HttpResult& result, UnixMs now);

}  // namespace duplex
