// Background: one thread for small jobs that must not hold up an HTTP answer (the private
// answers to Slack button clicks go to a response_url after the click is acknowledged, so a
// slow Slack never keeps the click waiting past its 3 s). Bounded: a full queue drops the job
// and says so; jobs still queued at shutdown are dropped (they are courtesy messages).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace duplex {

class Background {
 public:
  explicit Background(std::size_t max_pending = 256);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // Queues `job`; false (and the job is dropped) when max_pending jobs already wait.
  bool Post(std::function<void()> job);
  // Waits until the queue is empty and no job runs (tests); false after `timeout_ms`.
  bool Drain(int timeout_ms = 10'000);

 private:
  void Run();

  const std::size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> jobs_;
  bool running_job_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace duplex
