#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "app/background.h"

namespace duplex {

TEST_CASE("background jobs run in order off the caller's thread, a full queue refuses more") {
  std::atomic<bool> release{false};
  std::vector<int> ran;
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  {
    Background bg(/*max_pending=*/2);
    CHECK(bg.Post([&] {
      ran_on = std::this_thread::get_id();
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ran.push_back(1);
    }));
    // The first job may still be queued or already running; fill up to the limit.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(bg.Post([&] { ran.push_back(2); }));
    CHECK(bg.Post([&] { ran.push_back(3); }));
    CHECK_FALSE(bg.Post([&] { ran.push_back(4); }));  // two already wait
    release = true;
    bg.Drain();
    CHECK(ran == std::vector<int>{1, 2, 3});
    CHECK((ran_on != caller));
    CHECK(bg.Post([] { throw std::runtime_error("boom"); }));  // logged, the thread goes on
    CHECK(bg.Post([&] { ran.push_back(5); }));
    bg.Drain();
  }
  CHECK(ran.back() == 5);
}

}  // namespace duplex
