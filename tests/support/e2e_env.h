// E2eEnv: duplex as a user wires it, in-process — the real App with its HTTP server on a
// free loopback port, a fake Slack Web API and a fake reply receiver on their own ports,
// a temporary SQLite database. Helpers send correctly signed webhooks and slash commands.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "app/app.h"
#include "app/httplib_client.h"
#include "core/clock.h"
#include "support/e2e_store.h"
#include "support/fake_http_server.h"
#include "support/test_util.h"

namespace duplex::test {

inline constexpr const char* kGenericSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
inline constexpr const char* kSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";
inline constexpr const char* kTeam = "T0001";
inline constexpr const char* kDefaultChannel = "C0SOCIAL";
inline constexpr const char* kBotToken = "xoxb-test-token";
inline constexpr const char* kBotUser = "U0DUPLEX";  // duplex's bot user in event payloads

// The fake Slack Web API: chat.postMessage answers ok with increasing ts values;
// chat.update answers ok for a ts it handed out, message_not_found otherwise. Both refuse
// blocks past Slack's limits (section and context text 3,000 characters, 50 blocks, button
// text 75 and value 2,000) with invalid_blocks, as Slack does. users.info knows the users
// added with AddUser; chat.postEphemeral answers ok.
class FakeSlack {
 public:
  FakeSlack();
  std::string api_base() const { return server.url() + "/api"; }
  // A user users.info describes: profile.display_name (may be empty) and real_name.
  void AddUser(const std::string& id, const std::string& display_name,
               const std::string& real_name);
  // Parsed JSON bodies of successful chat.postMessage calls (scripted failures excluded).
  std::vector<nlohmann::json> Posts() const;
  // Bodies of chat.postMessage and chat.update calls refused with invalid_blocks.
  std::vector<nlohmann::json> Refused() const;
  // chat.postEphemeral bodies.
  std::vector<nlohmann::json> Ephemerals() const;
  bool WaitForPosts(std::size_t n, int timeout_ms = 5000) const;
  // Parsed JSON bodies of successful chat.update calls, in order.
  std::vector<nlohmann::json> Updates() const;
  // Waits until an update of `ts` whose text contains `needle` arrives.
  bool WaitForUpdate(const std::string& ts, const std::string& needle, int timeout_ms = 5000) const;
  // views.open bodies (any trigger_id is accepted unless the path is scripted).
  std::vector<nlohmann::json> Views() const;
  // Where interaction payloads point their response_url; its bodies are ephemeral answers.
  std::string response_url() const { return server.url() + "/hooks/actions/1"; }
  std::vector<nlohmann::json> Responses() const;
  FakeHttpServer server;

 private:
  mutable std::mutex mu_;
  std::vector<nlohmann::json> posts_;
  std::vector<nlohmann::json> updates_;
  std::vector<nlohmann::json> refused_;
  std::map<std::string, nlohmann::json> users_;
  int next_ts_ = 1;
};

// System time plus an offset a test moves forward: the app, its signature checks and the
// helpers' signatures all read it, so SLA minutes pass without waiting for them.
class OffsetClock final : public Clock {
 public:
  UnixMs NowMs() const override { return system_.NowMs() + offset_.load(); }
  void Advance(UnixMs ms) { offset_ += ms; }

 private:
  SystemClock system_;
  std::atomic<UnixMs> offset_{0};
};

class E2eEnv {
 public:
  // `patch` is merged into the default config (JSON merge patch) before start.
  explicit E2eEnv(const nlohmann::json& patch = nlohmann::json::object(), bool start = true);
  ~E2eEnv();

  void Start();
  void Stop();
  // Stops and starts a new App on the same database (and the same fakes).
  void Restart();

  App& app() { return *app_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(app_->port()); }

  // POST /webhooks/generic, signed with `secret` (default: the configured one).
  HttpResult PostGeneric(const nlohmann::json& body, const std::string& webhook_id,
                         const std::string& secret = kGenericSecret, std::int64_t timestamp = 0);
  static nlohmann::json GenericMention(const std::string& id, const std::string& conversation,
                                       const std::string& text, const std::string& handle = "ana",
                                       std::int64_t followers = 100);
  // POST /chat/slack/commands, signed with `signing_secret`. Each call gets a fresh
  // trigger_id unless one is given (Slack repeats it only when it resends a request).
  HttpResult SlackCommand(const std::string& text, const std::string& user = "U0STAFF",
                          const std::string& team = kTeam, const std::string& command = "/duplex",
                          const std::string& signing_secret = kSigningSecret,
                          const std::string& trigger_id = "");
  // POST /chat/slack/interactions: the form `payload=<json>`, signed. team, user and
  // response_url are filled in when the payload lacks them, and a fresh trigger_id.
  HttpResult SlackInteraction(nlohmann::json payload,
                              const std::string& signing_secret = kSigningSecret);
  // A button click on the root of conversation `ref` (block_actions).
  HttpResult SlackButton(const std::string& action_id, std::int64_t ref,
                         const std::string& user = "U0STAFF");
  // POST /chat/slack/events with `body` as JSON, signed.
  HttpResult SlackEvent(const nlohmann::json& body,
                        const std::string& signing_secret = kSigningSecret);
  // An event_callback carrying a message `text` by `user` in the thread `thread_ts`, delivered
  // for the bot user kBotUser; its ts follows from event_id.
  static nlohmann::json ThreadMessageEvent(const std::string& event_id,
                                           const std::string& thread_ts, const std::string& text,
                                           const std::string& user = "U0STAFF");
  HttpResult Get(const std::string& path);
  HttpResult Send(HttpRequest request);

  std::string LogText() const;

  // Waits until the outbox holds nothing pending or sending (a retry scheduled for later
  // counts as pending) and the app is idle (App::WaitIdle). Ask it before checking that
  // nothing more happened: a duplicate still on its way would be in the outbox or in
  // flight, so it is either posted before this returns or keeps this from returning true.
  bool WaitDrained(int timeout_ms = 10'000);

  OffsetClock clock;  // the app's clock
  TempDir dir;
  E2eDatabase database{dir};
  FakeSlack slack;
  FakeHttpServer receiver;  // the generic platform's reply_url
  nlohmann::json config;

 private:
  std::unique_ptr<App> app_;
  std::atomic<int> next_trigger_{1};
  HttplibClient http_;
  mutable std::mutex log_mu_;
  std::ostringstream log_;
  std::ostringstream console_;
};

}  // namespace duplex::test
