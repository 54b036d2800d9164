// DeliveryWorker: runs the DeliveryEngine in the background. One dispatcher thread claims
// due deliveries and hands them to a small pool, so deliveries to different conversations
// and targets proceed concurrently while each conversation stays in order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "delivery/delivery_engine.h"

namespace duplex {

class DeliveryWorker {
 public:
  DeliveryWorker(DeliveryEngine& engine, int threads = 4);
  ~DeliveryWorker();

  void Start();
  // New work was committed: look now rather than at the next timer.
  void Wake();
  // Stops claiming; waits up to `deadline_ms` for attempts in flight to finish. Deliveries
  // claimed but not yet attempted go back to pending at once. Whatever was attempted and
  // is not finished stays claimed in the outbox until its lease runs out, then is recovered
  // (by this instance after a restart, or by another). Returns false
  // if some attempt was still running at the deadline (its thread is left detached, so the
  // engine must outlive it: the caller should exit the process without tearing down).
  bool Stop(int deadline_ms = 10'000);

  // True once Stop has begun.
  bool Stopping() const;
  std::size_t InFlight() const;
  // Claim passes begun since Start: each is a query of the outbox, so a burst of wake-ups
  // must not turn into as many passes (see kFruitlessPassGap).
  std::uint64_t ClaimPasses() const;

  // Returns true once the worker is idle: a claim pass that began after this call found
  // nothing due (nothing held back by a rate limit either), with nothing claimed, queued or
  // in flight. False after `timeout_ms`, or when the worker is not running. Work due later
  // (a scheduled retry) does not count as due. For tests that check that nothing more
  // happens: asked after the system is idle, "nothing more" cannot be a late arrival.
  bool WaitIdle(int timeout_ms);

 private:
  void Dispatch();
  void Execute();

  DeliveryEngine& engine_;
  const int threads_;
  mutable std::mutex mu_;
  std::condition_variable wake_cv_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::deque<Delivery> queue_;
  std::size_t in_flight_ = 0;
  bool woken_ = false;
  bool stopping_ = false;
  std::uint64_t passes_ = 0;     // claim passes begun
  std::uint64_t idle_pass_ = 0;  // the latest pass that found the worker idle
  std::thread dispatcher_;
  std::vector<std::thread> pool_;
};

}  // namespace duplex
