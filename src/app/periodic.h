// Periodic: runs one job every `interval_ms` on a thread of its own until Stop (or the
// destructor). The first run is one interval after Start; Stop waits for a run under way to
// finish and never starts another. For small upkeep that no request waits on.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace duplex {

class Periodic {
 public:
  explicit Periodic(std::function<void()> job) : job_(std::move(job)) {}
  ~Periodic() { Stop(); }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  void Start(int interval_ms);
  void Stop();

 private:
  std::function<void()> job_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace duplex
