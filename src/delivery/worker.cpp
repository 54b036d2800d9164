#include "delivery/worker.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"

namespace duplex {
namespace {

constexpr std::chrono::milliseconds kFruitlessPassGap{10};

}  // namespace

DeliveryWorker::DeliveryWorker(DeliveryEngine& engine, int threads)
    : engine_(engine), threads_(threads < 1 ? 1 : threads) {}

DeliveryWorker::~DeliveryWorker() {
  Stop(0);
}

void DeliveryWorker::Start() {
  std::lock_guard lock(mu_);
  if (dispatcher_.joinable()) return;
  stopping_ = false;
  for (int i = 0; i < threads_; ++i) pool_.emplace_back([this] { Execute(); });
  dispatcher_ = std::thread([this] { Dispatch(); });
}

void DeliveryWorker::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_cv_.notify_one();
}

std::size_t DeliveryWorker::InFlight() const {
  std::lock_guard lock(mu_);
  return in_flight_ + queue_.size();
}

bool DeliveryWorker::Stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

std::uint64_t DeliveryWorker::ClaimPasses() const {
  std::lock_guard lock(mu_);
  return passes_;
}

bool DeliveryWorker::WaitIdle(int timeout_ms) {
  std::unique_lock lock(mu_);
  if (!dispatcher_.joinable() || stopping_) return false;
  const std::uint64_t first_eligible = passes_ + 1;
  woken_ = true;
  wake_cv_.notify_one();
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return idle_pass_ >= first_eligible; });
}

bool DeliveryWorker::Stop(int deadline_ms) {
  std::deque<Delivery> not_started;
  {
    std::unique_lock lock(mu_);
    if (!dispatcher_.joinable()) return true;
    stopping_ = true;
    not_started.swap(queue_);
  }
  wake_cv_.notify_all();
  work_cv_.notify_all();
  dispatcher_.join();
  // Claimed but never attempted: back to pending, so a reply is not mistaken for one that
  // was interrupted mid-call.
  for (const auto& d : not_started) engine_.Release(d);
  bool idle = false;
  {
    std::unique_lock lock(mu_);
    idle = idle_cv_.wait_for(lock, std::chrono::milliseconds(deadline_ms),
                             [&] { return in_flight_ == 0; });
    if (!idle) {
      log::Warn(
          "deliveries still in flight at shutdown; they are recovered once their lease runs out",
          {{"in_flight", in_flight_}});
    }
  }
  for (auto& t : pool_) {
    // A thread stuck in a slow remote call is left to the process exit.
    if (idle) {
      t.join();
    } else {
      t.detach();
    }
  }
  pool_.clear();
  return idle;
}

void DeliveryWorker::Dispatch() {
  for (;;) {
    // Claims in flight stay ours even while the pool is busy: renewed here, every pass.
    engine_.Heartbeat();
    std::uint64_t pass = 0;
    bool quiet = false;  // nothing queued or running as the pass began
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
      // Claim only when the pool can take more, to keep claims close to execution.
      if (queue_.size() + in_flight_ >= static_cast<std::size_t>(threads_) * 2) {
        wake_cv_.wait_for(lock, std::chrono::milliseconds(200));
        continue;
      }
      pass = ++passes_;
      quiet = queue_.empty() && in_flight_ == 0;
    }
    UnixMs wake_at = 0;
    const auto pass_began = std::chrono::steady_clock::now();
    auto claimed = engine_.Claim(threads_ * 2, wake_at);
    std::unique_lock lock(mu_);
    if (stopping_) {
      // Stop began while this pass claimed: these were never attempted, so they go back to
      // pending now rather than sit claimed until their lease runs out.
      lock.unlock();
      for (const auto& d : claimed) engine_.Release(d);
      return;
    }
    for (auto& d : claimed) queue_.push_back(std::move(d));
    if (!claimed.empty()) {
      work_cv_.notify_all();
      continue;
    }
    // Only the dispatcher fills the queue, so a pass that began quiet ran alongside no
    // attempt: nothing it read could change under it. Claim sets wake_at to its `now` when
    // due work was held back, so a later wake_at means nothing is due.
    if (quiet && wake_at > engine_.Now()) {
      idle_pass_ = pass;
      idle_cv_.notify_all();
    }
    // Sleep until the next due time, a wake-up, or at most a second (new work may come from
    // another path, such as a retry command).
    UnixMs wait = std::clamp<UnixMs>(wake_at - engine_.clock().NowMs(), 5, 1000);
    wake_cv_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return woken_ || stopping_; });
    // Every ingest commit wakes the worker: hundreds of times a second under a burst, while
    // the backlog it made waits on the chat's rate limit and each pass finds nothing it may
    // send. A pass that claimed nothing is not followed by another sooner than
    // kFruitlessPassGap, so a burst costs at most a hundred passes a second, and new work waits
    // at most that long. A quiet worker's last pass is long past: its wake-up is immediate.
    const auto next_pass = pass_began + kFruitlessPassGap;
    if (woken_ && !stopping_ && std::chrono::steady_clock::now() < next_pass) {
      wake_cv_.wait_until(lock, next_pass, [&] { return stopping_; });
    }
    woken_ = false;
  }
}

void DeliveryWorker::Execute() {
  for (;;) {
    Delivery d;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      d = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_;
    }
    engine_.Execute(d);
    {
      std::lock_guard lock(mu_);
      --in_flight_;
      woken_ = true;  // the conversation's next delivery may be due now
    }
    wake_cv_.notify_one();
    idle_cv_.notify_all();
  }
}

}  // namespace duplex
