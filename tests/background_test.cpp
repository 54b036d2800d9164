#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "app/background.h"

namespace duplex {

TEST_CASE("background jobs run in order off the caller's thread, a full queue refuses more") {
  std::promise<void> first_started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<int> ran;
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  {
    Background bg(/*max_pending=*/2);
    CHECK(bg.Post([&] {
      ran_on = std::this_thread::get_id();
      first_started.set_value();
      released.wait();
      ran.push_back(1);
    }));
    // The first job runs (and holds the thread): the queue is empty, with room for two.
    first_started.get_future().wait();
    CHECK(bg.Post([&] { ran.push_back(2); }));
    CHECK(bg.Post([&] { ran.push_back(3); }));
    CHECK_FALSE(bg.Post([&] { ran.push_back(4); }));  // two already wait
    release.set_value();
    CHECK(bg.Drain());
    CHECK(ran == std::vector<int>{1, 2, 3});
    CHECK((ran_on != caller));
    CHECK(bg.Post([] { throw std::runtime_error("boom"); }));  // logged, the thread goes on
    CHECK(bg.Post([&] { ran.push_back(5); }));
    CHECK(bg.Drain());
  }
  CHECK(ran.back() == 5);
}

TEST_CASE(
    "background: Drain reports a job that does not finish in time, and waits for it otherwise") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Background bg;
  CHECK(bg.Post([released] { released.wait(); }));
  CHECK_FALSE(bg.Drain(50));  // the job is still running
  release.set_value();
  CHECK(bg.Drain());
}

}  // namespace duplex
