// App: duplex wired together — store, connectors, chat, delivery, commands and the HTTP
// endpoints — from a validated Config. `duplex serve`, the demo and the end-to-end tests all
// run this same object; tests inject a clock, an HTTP client or a console stream.
#pragma once

#include <memory>
#include <ostream>

#include "app/config.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/metrics.h"
#include "core/status.h"
#include "storage/store.h"

namespace duplex {

struct AppDeps {
  const Clock* clock = nullptr;     // default: system clock
  HttpClient* http = nullptr;       // default: cpp-httplib client
  std::ostream* console = nullptr;  // console chat output; default: stdout
  std::uint64_t seed = 0;           // retry jitter seed; 0 = random
};

class App {
 public:
  static Result<std::unique_ptr<App>> Create(const Config& config, AppDeps deps = {});
  ~App();

  // Recovers what a previous run left in the outbox, starts delivery and the listener(s).
  Status Start();
  // Graceful stop: no new requests, requests in progress answered, queued commits written,
  // deliveries in flight given up to `deadline_ms`. Returns false if a delivery was still
  // running at the deadline: then the App must not be destroyed (exit the process instead);
  // what was in flight is recovered at the next start.
  bool Shutdown(int deadline_ms = 10'000);

  int port() const;
  int metrics_port() const;
  Store& store();
  Metrics& metrics();
  // One pass of the SLA scheduler now (it also runs every sla.check_seconds); returns the
  // reminders and breach notices queued.
  int RunSlaCheck();
  // True once the app is idle: the delivery worker found nothing due, claimed or in flight
  // in a pass that began after this call (DeliveryWorker::WaitIdle), and the background
  // jobs (answers to Slack clicks) have run. False after `timeout_ms`. Tests ask this before
  // checking that nothing more happened, so a late duplicate cannot arrive after the check.
  bool WaitIdle(int timeout_ms = 10'000);

  struct Impl;

 private:
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace duplex
