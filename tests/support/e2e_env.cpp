#include "support/e2e_env.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "app/config.h"
#include "chat/form.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "security/signatures.h"

namespace duplex::test {

using nlohmann::json;

namespace {

// Characters as Slack's limits count them, at their strictest: UTF-16 code units.
std::size_t Utf16Length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // a code point starts
    if (c >= 0xF0) ++n;           // above U+FFFF: a surrogate pair
  }
  return n;
}

std::string TextOf(const json& text_object) {
  return text_object.is_object() && text_object.contains("text") && text_object["text"].is_string()
             ? text_object["text"].get<std::string>()
             : std::string();
}

// The Block Kit limits duplex can reach, checked as Slack does: the first broken one, as
// Slack's invalid_blocks message names it; empty when the blocks are valid.
std::string BlocksProblem(const json& body) {
  if (!body.is_object() || !body.contains("blocks")) return "";
  const json& blocks = body["blocks"];
  if (!blocks.is_array()) return "invalid_blocks_format";
  if (blocks.size() > 50) return "no more than 50 items allowed [json-pointer:/blocks]";
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const json& block = blocks[b];
    const std::string at = "/blocks/" + std::to_string(b);
    const std::string type = block.value("type", "");
    auto text_problem = [&](const std::string& text, std::size_t max,
                            const std::string& where) -> std::string {
      if (text.empty()) return "must be more than 0 characters [json-pointer:" + where + "]";
      if (Utf16Length(text) > max) {
        return "must be less than " + std::to_string(max + 1) +
               " characters [json-pointer:" + where + "]";
      }
      return "";
    };
    if (type == "section") {
      if (auto p = text_problem(TextOf(block["text"]), 3000, at + "/text/text"); !p.empty())
        return p;
    } else if (type == "context") {
      const json& elements = block["elements"];
      if (!elements.is_array() || elements.size() > 10)
        return "no more than 10 items allowed [json-pointer:" + at + "]";
      for (std::size_t e = 0; e < elements.size(); ++e) {
        const std::string where = at + "/elements/" + std::to_string(e) + "/text";
        if (auto p = text_problem(TextOf(elements[e]), 3000, where); !p.empty()) return p;
      }
    } else if (type == "actions") {
      for (const auto& e : block["elements"]) {
        if (auto p = text_problem(TextOf(e["text"]), 75, at + "/elements/text/text"); !p.empty())
          return p;
        if (Utf16Length(e.value("value", "")) > 2000)
          return "must be less than 2001 characters [json-pointer:" + at + "/value]";
      }
    }
  }
  return "";
}

FakeAnswer InvalidBlocks(const std::string& problem) {
  return FakeAnswer{200, json{{"ok", false},
                              {"error", "invalid_blocks"},
                              {"errors", {problem}},
                              {"response_metadata", {{"messages", {"[ERROR] " + problem}}}}}
                             .dump()};
}

}  // namespace

FakeSlack::FakeSlack() {
  server.On("/api/chat.postMessage", [this](const RecordedRequest& r) {
    json body = json::parse(r.body, nullptr, false);
    if (std::string problem = BlocksProblem(body); !problem.empty()) {
      std::lock_guard lock(mu_);
      refused_.push_back(body);
      return InvalidBlocks(problem);
    }
    std::lock_guard lock(mu_);
    std::string ts = "1700000000." + std::to_string(100000 + next_ts_++);
    body["_ts"] = ts;
    body["_auth"] = r.Header("Authorization");
    posts_.push_back(body);
    return FakeAnswer{
        200, json{{"ok", true}, {"ts", ts}, {"channel", body.value("channel", "")}}.dump()};
  });
  server.On("/api/chat.update", [this](const RecordedRequest& r) {
    json body = json::parse(r.body, nullptr, false);
    std::lock_guard lock(mu_);
    const std::string ts = body.is_object() ? body.value("ts", "") : "";
    bool known = false;
    for (const auto& p : posts_) known = known || p.value("_ts", "") == ts;
    if (!known) return FakeAnswer{200, R"({"ok":false,"error":"message_not_found"})"};
    if (std::string problem = BlocksProblem(body); !problem.empty()) {
      refused_.push_back(body);
      return InvalidBlocks(problem);
    }
    body["_auth"] = r.Header("Authorization");
    updates_.push_back(body);
    return FakeAnswer{
        200, json{{"ok", true}, {"ts", ts}, {"channel", body.value("channel", "")}}.dump()};
  });
  server.On("/api/views.open", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"ok":true,"view":{"id":"V0001"}})"};
  });
  server.On("/hooks/actions/1", [](const RecordedRequest&) {
    return FakeAnswer{200, "ok", "text/plain"};
  });
  server.On("/api/chat.postEphemeral", [](const RecordedRequest&) {
    return FakeAnswer{200, R"({"ok":true,"message_ts":"1700000000.999999"})"};
  });
  server.On("/api/users.info", [this](const RecordedRequest& r) {
    std::lock_guard lock(mu_);
    auto it = users_.find(r.Param("user"));
    if (it == users_.end()) return FakeAnswer{200, R"({"ok":false,"error":"user_not_found"})"};
    return FakeAnswer{200, json{{"ok", true}, {"user", it->second}}.dump()};
  });
}

void FakeSlack::AddUser(const std::string& id, const std::string& display_name,
                        const std::string& real_name) {
  std::lock_guard lock(mu_);
  users_[id] = {{"id", id},
                {"name", "user." + id},
                {"real_name", real_name},
                {"profile", {{"display_name", display_name}, {"real_name", real_name}}}};
}

std::vector<json> FakeSlack::Refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

std::vector<json> FakeSlack::Ephemerals() const {
  std::vector<json> out;
  for (const auto& r : server.Requests("/api/chat.postEphemeral"))
    out.push_back(json::parse(r.body, nullptr, false));
  return out;
}

std::vector<json> FakeSlack::Views() const {
  std::vector<json> out;
  for (const auto& r : server.Requests("/api/views.open"))
    out.push_back(json::parse(r.body, nullptr, false));
  return out;
}

std::vector<json> FakeSlack::Responses() const {
  std::vector<json> out;
  for (const auto& r : server.Requests("/hooks/actions/1"))
    out.push_back(json::parse(r.body, nullptr, false));
  return out;
}

std::vector<json> FakeSlack::Updates() const {
  std::lock_guard lock(mu_);
  return updates_;
}

bool FakeSlack::WaitForUpdate(const std::string& ts, const std::string& needle,
                              int timeout_ms) const {
  return WaitUntil(
      [&] {
        for (const auto& u : Updates()) {
          if (u.value("ts", "") == ts && u.value("text", "").find(needle) != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      timeout_ms);
}

std::vector<json> FakeSlack::Posts() const {
  std::lock_guard lock(mu_);
  return posts_;
}

bool FakeSlack::WaitForPosts(std::size_t n, int timeout_ms) const {
  return WaitUntil([&] { return Posts().size() >= n; }, timeout_ms);
}

E2eEnv::E2eEnv(const json& patch, bool start) {
  config = {
      {"listen", {{"host", "127.0.0.1"}, {"port", 0}, {"threads", 16}}},
      {"database", database.config()},
      {"chat",
       {{"kind", "slack"},
        {"api_base", slack.api_base()},
        {"bot_token", kBotToken},
        {"signing_secret", kSigningSecret},
        {"team_id", kTeam},
        {"default_channel", kDefaultChannel},
        {"admins", {"U0ADMIN"}},
        {"rate_limit", {{"per_second", 50}, {"burst", 50}}}}},
      {"platforms",
       {{"generic", {{"secret", kGenericSecret}, {"reply_url", receiver.url() + "/replies"}}}}},
  };
  config.merge_patch(patch);
  log::SetSink([this](const std::string& line) {
    std::lock_guard lock(log_mu_);
    log_ << line << "\n";
  });
  if (start) Start();
}

E2eEnv::~E2eEnv() {
  Stop();
  log::ResetSink();
}

void E2eEnv::Start() {
  auto parsed = ParseConfig(config.dump());
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
  AppDeps deps;
  deps.clock = &clock;
  deps.console = &console_;
  deps.seed = 42;
  auto app = App::Create(*parsed, deps);
  REQUIRE_MESSAGE(app.ok(), app.status().message());
  app_ = std::move(*app);
  Status s = app_->Start();
  REQUIRE_MESSAGE(s.ok(), s.message());
}

void E2eEnv::Stop() {
  if (app_) {
    app_->Shutdown(5000);
    app_.reset();
  }
}

void E2eEnv::Restart() {
  Stop();
  Start();
}

bool E2eEnv::WaitDrained(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const bool empty = WaitUntil(
      [&] {
        auto stats = app_->store().GetOutboxStats();
        return stats.ok() && stats->pending == 0;
      },
      timeout_ms);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return empty && app_->WaitIdle(static_cast<int>(std::max<std::int64_t>(1, left.count())));
}

std::string E2eEnv::LogText() const {
  std::lock_guard lock(log_mu_);
  return log_.str();
}

json E2eEnv::GenericMention(const std::string& id, const std::string& conversation,
                            const std::string& text, const std::string& handle,
                            std::int64_t followers) {
  return {{"id", id},
          {"conversation", conversation},
          {"kind", "direct"},
          {"author",
           {{"id", "id-" + handle},
            {"handle", handle},
            {"name", "Name " + handle},
            {"followers", followers}}},
          {"text", text},
          {"url", "https://crm.example.com/m/" + id}};
}

HttpResult E2eEnv::Send(HttpRequest request) {
  return http_.Send(request);
}

HttpResult E2eEnv::PostGeneric(const json& body, const std::string& webhook_id,
                               const std::string& secret, std::int64_t timestamp) {
  std::string ts = std::to_string(timestamp ? timestamp : clock.NowSeconds());
  std::string raw = body.dump();
  HttpRequest req;
  req.url = base_url() + "/webhooks/generic";
  req.body = raw;
  req.headers = {{"webhook-id", webhook_id},
                 {"webhook-timestamp", ts},
                 {"webhook-signature", security::SignStandardWebhook(secret, webhook_id, ts, raw)}};
  return http_.Send(req);
}

HttpResult E2eEnv::SlackCommand(const std::string& text, const std::string& user,
                                const std::string& team, const std::string& command,
                                const std::string& signing_secret, const std::string& trigger_id) {
  std::string form =
      "token=unused&team_id=" + text::UrlEncode(team) +
      "&team_domain=acme&channel_id=" + kDefaultChannel +
      "&channel_name=social&user_id=" + text::UrlEncode(user) +
      "&user_name=staff&command=" + text::UrlEncode(command) + "&text=" + text::UrlEncode(text) +
      "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&trigger_id=" +
      text::UrlEncode(trigger_id.empty() ? "trigger-" + std::to_string(next_trigger_++)
                                         : trigger_id);
  std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = base_url() + "/chat/slack/commands";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = form;
  req.headers = {{"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", security::SignSlackV0(signing_secret, ts, form)}};
  return http_.Send(req);
}

namespace {
HttpRequest SignedSlackRequest(const std::string& url, const std::string& content_type,
                               std::string body, const std::string& signing_secret, UnixMs now) {
  const std::string ts = std::to_string(now / 1000);
  HttpRequest req;
  req.url = url;
  req.content_type = content_type;
  req.headers = {{"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", security::SignSlackV0(signing_secret, ts, body)}};
  req.body = std::move(body);
  return req;
}
}  // namespace

HttpResult E2eEnv::SlackInteraction(json payload, const std::string& signing_secret) {
  if (!payload.contains("team")) payload["team"] = {{"id", kTeam}, {"domain", "acme"}};
  if (!payload.contains("user")) payload["user"] = {{"id", "U0STAFF"}, {"username", "staff"}};
  if (!payload.contains("trigger_id"))
    payload["trigger_id"] = "trigger-" + std::to_string(next_trigger_++);
  if (!payload.contains("response_url") && payload.value("type", "") == "block_actions") {
    payload["response_url"] = slack.response_url();
  }
  return http_.Send(SignedSlackRequest(
      base_url() + "/chat/slack/interactions", "application/x-www-form-urlencoded",
      "payload=" + text::UrlEncode(payload.dump()), signing_secret, clock.NowMs()));
}

HttpResult E2eEnv::SlackButton(const std::string& action_id, std::int64_t ref,
                               const std::string& user) {
  json payload = {{"type", "block_actions"},
                  {"user", {{"id", user}, {"username", "staff"}}},
                  {"api_app_id", "A0001"},
                  {"container",
                   {{"type", "message"}, {"channel_id", kDefaultChannel}, {"is_ephemeral", false}}},
                  {"channel", {{"id", kDefaultChannel}, {"name", "social"}}},
                  {"actions",
                   {{{"type", "button"},
                     {"action_id", action_id},
                     {"block_id", "duplex_root_" + std::to_string(ref)},
                     {"value", std::to_string(ref)},
                     {"action_ts", "1700000000.000001"}}}}};
  return SlackInteraction(payload);
}

HttpResult E2eEnv::SlackEvent(const json& body, const std::string& signing_secret) {
  return http_.Send(SignedSlackRequest(base_url() + "/chat/slack/events", "application/json",
                                       body.dump(), signing_secret, clock.NowMs()));
}

json E2eEnv::ThreadMessageEvent(const std::string& event_id, const std::string& thread_ts,
                                const std::string& text, const std::string& user) {
  // Each message has its own ts; the same event_id (a resent event) keeps its message's.
  std::uint32_t h = 2166136261u;
  for (char c : event_id) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  const std::string micros = std::to_string(100000 + h % 900000);
  return {{"token", "unused"},
          {"team_id", kTeam},
          {"api_app_id", "A0001"},
          {"type", "event_callback"},
          {"event_id", event_id},
          {"event_time", 1700000000},
          {"authorizations",
           {{{"enterprise_id", nullptr},
             {"team_id", kTeam},
             {"user_id", kBotUser},
             {"is_bot", true},
             {"is_enterprise_install", false}}}},
          {"event",
           {{"type", "message"},
            {"channel", kDefaultChannel},
            {"user", user},
            {"text", text},
            {"ts", "1700000100." + micros},
            {"thread_ts", thread_ts},
            {"channel_type", "channel"}}}};
}

HttpResult E2eEnv::Get(const std::string& path) {
  HttpRequest req;
  req.method = "GET";
  req.url = base_url() + path;
  return http_.Send(req);
}

}  // namespace duplex::test
