// Several `duplex serve` processes on one PostgreSQL database, as a team runs them behind a
// load balancer: each instance has its own port, log directory and config file (the same
// config but for the port), and can be killed with SIGKILL and started again on its port.
// Requests go to any instance (support/signed_requests.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/test_util.h"

namespace duplex::test {

class Cluster {
 public:
  // `instances` processes on `database_url`, posting to the fake Slack at `slack_api` and
  // sending generic-platform replies to `reply_url`; `patch` is merged into every instance's
  // config (JSON merge patch). Nothing runs until Start or StartAll.
  Cluster(int instances, const std::string& database_url, const std::string& slack_api,
          const std::string& reply_url, const nlohmann::json& patch = nlohmann::json::object());
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int size() const { return static_cast<int>(ports_.size()); }
  int port(int i) const { return ports_[i]; }
  bool running(int i) const { return processes_[i] != nullptr; }
  pid_t pid(int i) const { return processes_[i] ? processes_[i]->pid() : -1; }

  // Starts every instance at once (they migrate the database together) and waits until each
  // answers /readyz 200; false when one does not within `timeout_ms`.
  bool StartAll(int timeout_ms = 20'000);
  // Starts instance `i` (again, on its port) and waits until it is ready.
  bool Start(int i, int timeout_ms = 20'000);
  // SIGKILL: the process dies on the spot, its claims stand until their lease runs out.
  // Instance `i` must be running, for this and for Stop.
  void Kill(int i);
  // SIGTERM; the exit code (-1: killed by a signal or it did not exit in time).
  int Stop(int i);
  // Instance `i`'s stderr (its log), empty when it is not running.
  std::string Log(int i) const;

  // The instance whose process owns a claim (instance ids are `<host>-<pid>-<random>`), or -1.
  int InstanceOwning(const std::string& owner) const;
  // Until the shared outbox holds nothing pending or sending, as seen through instance `i`.
  bool WaitDrained(int i, int timeout_ms = 30'000) const;

 private:
  void Spawn(int i);

  TempDir temp_;  // configs and logs; outlives the processes
  std::vector<int> ports_;
  std::vector<std::unique_ptr<DuplexProcess>> processes_;
};

}  // namespace duplex::test
