// SlaScheduler: finds conversations whose SLA clock owes an alert (core/sla.h) and queues,
// for each, the reminder or breach notice in its thread plus a root update, through the
// outbox. Each alert is recorded in the store with its notice in one transaction, so a
// restart, a second pass or a concurrent reply never repeats or misplaces one.
// With a lease (core/lease.h), only the instance holding it runs passes: each pass renews it,
// another instance takes over once it runs out (the holder died or hung), and a holder that
// lost it stops, even mid-pass. Stop() gives it up, so a clean restart hands over at once.
// Tick() is synchronous and reads the injected clock, so tests drive it with a FakeClock;
// Start() runs it on a background thread every `interval_ms`.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "chat/chat.h"
#include "core/clock.h"
#include "core/lease.h"
#include "core/sla.h"
#include "storage/store.h"

namespace duplex {

struct SlaSchedulerDeps {
  Store* store = nullptr;
  const Clock* clock = nullptr;
  const ChatDialect* dialect = nullptr;
  SlaSettings sla;
  std::function<void()> wake_delivery;  // new outbox work
  int batch = 1000;                     // conversations examined per pass, oldest clock first
  // One scheduler across the instances sharing the database; null: this one always runs.
  Lease* lease = nullptr;
};

class SlaScheduler {
 public:
  explicit SlaScheduler(SlaSchedulerDeps deps);
  ~SlaScheduler();

  // One pass at the clock's now, if this instance holds the lease (taking or renewing it
  // first). Returns how many alerts were queued; a store failure is logged and leaves the rest
  // for the next pass.
  int Tick();

  void Start(int interval_ms);
  void Stop();

 private:
  SlaSchedulerDeps deps_;
  std::mutex tick_mu_;  // held through a pass
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace duplex
