// The crash tests' load and their verdict, for one server or several instances on one
// database alike.
//
// The load: senders post signed mentions into 40 conversations each, every mention resent
// until acknowledged as a platform does (every resend a duplicate for duplex), and a replier
// queues staff replies to those conversations with slash commands, one for every four
// acknowledged mentions (the servers' platform rate limit must keep up). Every request goes to the
// port the caller's picker names at that moment (one server, or any instance behind a balancer).
//
// The verdict, read once the load has stopped and the outbox has drained: every acknowledged
// mention reached the fake Slack (duplicates counted); no reply reached the fake platform
// twice; and each queued reply either arrived or is `unknown` in the store with a notice in
// its conversation's thread that quotes it and offers `/duplex retry <delivery>`.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"
#include "support/e2e_env.h"

namespace duplex::test {

class CrashLoad {
 public:
  // Starts `senders` sender threads and the replier; `pick_port` is called from them, for
  // every request.
  explicit CrashLoad(std::function<int()> pick_port, int senders = 4);
  ~CrashLoad();
  CrashLoad(const CrashLoad&) = delete;
  CrashLoad& operator=(const CrashLoad&) = delete;

  // Stops sending and waits for the threads. What follows reads the load's record.
  void Stop();
  // Mention ids answered 2xx.
  const std::set<std::string>& acked() const { return acked_; }
  // Reply text -> delivery id, for each reply the command answer said was queued.
  const std::map<std::string, std::int64_t>& queued() const { return queued_; }

 private:
  void Send(int sender);
  void Reply();

  static constexpr int kConversationsPerSender = 40;
  std::function<int()> pick_port_;
  int senders_;
  std::atomic<bool> stop_{false};
  std::atomic<int> acked_count_{0};
  std::mutex mu_;
  std::set<std::string> acked_;
  std::map<std::string, std::int64_t> queued_;
  std::vector<std::thread> threads_;
};

struct CrashTally {
  std::size_t acked = 0;          // mentions acknowledged
  std::size_t mention_posts = 0;  // mention cards posted to Slack
  std::size_t lost = 0;           // acknowledged, never posted
  std::size_t duplicate_posts = 0;
  std::size_t replies_queued = 0;
  std::size_t replies_delivered = 0;  // reached the platform once
  std::size_t replies_unknown = 0;    // never arrived, flagged unknown
  std::size_t unknown_unflagged = 0;  // unknown, but no notice in the thread quotes it
  std::size_t replies_twice = 0;      // reached the platform more than once
  std::size_t replies_missing = 0;    // neither arrived nor flagged unknown
  double DuplicatePercent() const;
};
std::ostream& operator<<(std::ostream& out, const CrashTally& t);

// The verdict on a stopped `load`: what `slack` was posted, what `platform` received at
// `reply_path`, and each queued reply's delivery as `store` has it. Each missing or unflagged
// reply is named in a MESSAGE.
CrashTally TallyCrash(const CrashLoad& load, const FakeSlack& slack, const FakeHttpServer& platform,
                      const std::string& reply_path, Store& store);

}  // namespace duplex::test
