#include "support/cluster.h"

#include <signal.h>

#include <filesystem>

#include "app/httplib_client.h"
#include "core/clock.h"
#include "core/text.h"
#include "security/signatures.h"
#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

namespace {

std::string Instance(int i) {
  return "instance-" + std::to_string(i);
}

}  // namespace

Cluster::Cluster(int instances, const std::string& database_url, const std::string& slack_api,
                 const std::string& reply_url, const json& patch)
    : processes_(static_cast<std::size_t>(instances)) {
  for (int i = 0; i < instances; ++i) {
    const int port = FreePort();
    ports_.push_back(port);
    json config = {
        {"listen", {{"host", "127.0.0.1"}, {"port", port}}},
        {"database", database_url},
        {"chat",
         {{"kind", "slack"},
          {"api_base", slack_api},
          {"bot_token", kBotToken},
          {"signing_secret", kSigningSecret},
          {"team_id", kTeam},
          {"default_channel", kDefaultChannel}}},
        {"platforms", {{"generic", {{"secret", kGenericSecret}, {"reply_url", reply_url}}}}}};
    config.merge_patch(patch);
    std::filesystem::create_directories(temp_.File(Instance(i)));
    WriteFile(temp_.File(Instance(i) + ".json"), config.dump());
  }
}

Cluster::~Cluster() {
  for (int i = 0; i < size(); ++i) {
    if (processes_[i]) Kill(i);
  }
}

void Cluster::Spawn(int i) {
  processes_[i] = std::make_unique<DuplexProcess>(
      std::vector<std::string>{"serve", "--config", temp_.File(Instance(i) + ".json"),
                               "--log-level", "warn"},
      temp_.File(Instance(i)));
}

bool Cluster::StartAll(int timeout_ms) {
  for (int i = 0; i < size(); ++i) Spawn(i);
  return WaitUntil(
      [&] {
        for (int port : ports_) {
          if (!Ready(port)) return false;
        }
        return true;
      },
      timeout_ms);
}

bool Cluster::Start(int i, int timeout_ms) {
  Spawn(i);
  return WaitUntil([&] { return Ready(ports_[i]); }, timeout_ms);
}

void Cluster::Kill(int i) {
  processes_[i]->Signal(SIGKILL, 5000);
  processes_[i].reset();
}

int Cluster::Stop(int i) {
  const int code = processes_[i]->Signal(SIGTERM);
  processes_[i].reset();
  return code;
}

std::string Cluster::Log(int i) const {
  return processes_[i] ? processes_[i]->Stderr() : "";
}

int Cluster::InstanceOwning(const std::string& owner) const {
  for (int i = 0; i < size(); ++i) {
    if (processes_[i] &&
        owner.find("-" + std::to_string(processes_[i]->pid()) + "-") != std::string::npos) {
      return i;
    }
  }
  return -1;
}

bool Cluster::WaitDrained(int i, int timeout_ms) const {
  return WaitOutboxDrained(ports_[i], timeout_ms);
}

bool Ready(int port) {
  HttplibClient http;
  HttpRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
  r.timeout_ms = 1000;
  auto res = http.Send(r);
  return res.ok() && res.response.status == 200;
}

HttpResult SignedMention(int port, const std::string& id, const std::string& conversation,
                         const std::string& text) {
  HttplibClient http;
  SystemClock clock;
  const std::string body = E2eEnv::GenericMention(id, conversation, text).dump();
  const std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/generic";
  req.body = body;
  req.timeout_ms = 5000;
  req.headers = {
      {"webhook-id", "wh-" + id},
      {"webhook-timestamp", ts},
      {"webhook-signature", security::SignStandardWebhook(kGenericSecret, "wh-" + id, ts, body)}};
  return http.Send(req);
}

HttpResult SignedCommand(int port, const std::string& text, const std::string& trigger) {
  HttplibClient http;
  SystemClock clock;
  const std::string form =
      "team_id=" + std::string(kTeam) + "&channel_id=" + kDefaultChannel +
      "&user_id=U0STAFF&user_name=staff&command=%2Fduplex&text=" + text::UrlEncode(text) +
      "&trigger_id=" + trigger;
  const std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/chat/slack/commands";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = form;
  req.timeout_ms = 5000;
  req.headers = {{"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", security::SignSlackV0(kSigningSecret, ts, form)}};
  return http.Send(req);
}

}  // namespace duplex::test
