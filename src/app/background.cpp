#include "app/background.h"

#include <chrono>

#include "core/log.h"

namespace duplex {

Background::Background(std::size_t max_pending)
    : max_pending_(max_pending), thread_([this] { Run(); }) {}

Background::~Background() {
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    dropped = jobs_.size();
    jobs_.clear();
  }
  cv_.notify_all();
  thread_.join();
  if (dropped > 0) log::Warn("background jobs dropped at shutdown", {{"count", dropped}});
}

bool Background::Post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stop_ || jobs_.size() >= max_pending_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

bool Background::Drain(int timeout_ms) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [this] { return jobs_.empty() && !running_job_; });
}

void Background::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) break;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    running_job_ = true;
    lock.unlock();
    try {
      job();
    } catch (const std::exception& e) {
      log::Error("background job failed", {{"error", e.what()}});
    }
    lock.lock();
    running_job_ = false;
    if (jobs_.empty()) idle_cv_.notify_all();
  }
  running_job_ = false;
  idle_cv_.notify_all();
}

}  // namespace duplex
