#include "support/cluster.h"

#include <signal.h>

#include <filesystem>

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

}  // namespace duplex::test
