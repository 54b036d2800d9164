#include "app/periodic.h"

#include <chrono>

namespace duplex {

void Periodic::Start(int interval_ms) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, interval_ms] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [&] { return stopping_; })) {
      lock.unlock();
      job_();
      lock.lock();
    }
  });
}

void Periodic::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    thread.swap(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
}

}  // namespace duplex
