// DeliveryEngine: turns outbox rows into calls to chat and platforms, one attempt at a time,
// and records each attempt's end in the store with all its effects (thread root, reply link,
// confirmation notice) in one transaction.
//
// Promises kept here:
// - per conversation, deliveries run in id order, one at a time (the store only offers the
//   head of each conversation), so a reply never precedes its thread root; root updates
//   (chat_update) run after everything queued before them but hold nothing back;
// - chat posts are retried on any transient failure (at least once);
// - a customer reply is resent automatically only when the platform certainly did not act
//   (kRetry); an uncertain outcome becomes `unknown` and is flagged in the thread;
// - targets are paced by the rate limiter, for all instances together when they share the
//   database; a remote's wait hint holds its whole target, on every instance;
// - a thread root shows the conversation's state and SLA badge: posted with them, and
//   re-rendered by chat_update deliveries (queued on each change, after the root post).
// Claim() and Execute() are synchronous, so tests drive them with a FakeClock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "chat/chat.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/metrics.h"
#include "core/sla.h"
#include "delivery/rate_limiter.h"
#include "delivery/retry_policy.h"
#include "platforms/registry.h"
#include "storage/store.h"

namespace duplex {

struct DeliveryDeps {
  Store* store = nullptr;
  const Clock* clock = nullptr;
  ChatPoster* chat = nullptr;
  const ConnectorMap* connectors = nullptr;
  HttpClient* http = nullptr;
  RateLimiter* limiter = nullptr;
  Metrics* metrics = nullptr;  // optional
  RetryPolicy retry;
  std::int64_t vip_followers = 10'000;
  SlaSettings sla;         // for the SLA badge on thread roots
  std::uint64_t seed = 0;  // jitter seed; 0 = random
  // Claims (Store::ClaimDue): this instance's id (empty: a NewInstanceId()) and how long a claim
  // stands unless renewed (`delivery.lease_seconds`). Well above a heartbeat's interval
  // (lease_ms / 6) and a slow store call, so a hiccup in the heartbeat costs nothing; short
  // enough that a dead instance's work is taken over soon: its chat posts retried, its
  // replies flagged unknown.
  std::string owner;
  UnixMs lease_ms = 30'000;
  // Where credential alerts go, and whom they mention.
  std::string default_channel;
  std::function<std::vector<std::string>()> admins;
};

class DeliveryEngine {
 public:
  explicit DeliveryEngine(DeliveryDeps deps);

  // Claims up to `limit` due deliveries whose targets have capacity (Store::ClaimDue).
  // `wake_at` is set to when the next one may be due (for the worker's sleep): the claim's
  // own `now` when something due was held back (a target at its rate limit, a conversation
  // waiting for its head).
  std::vector<Delivery> Claim(int limit, UnixMs& wake_at);
  // The engine's clock (the one Claim compares due times with).
  UnixMs Now() const { return deps_.clock->NowMs(); }
  // One attempt of a claimed delivery, recorded in the store. Never throws: an exception
  // from a connector, a chat backend or a notice ends the delivery for good with the
  // exception's message as its reason (dead, or `unknown` for a customer reply, which may
  // have been posted before the exception), so recovery never runs the same row into it
  // again and the caller's thread goes on.
  void Execute(const Delivery& delivery);
  // Gives back a claimed delivery that was never attempted.
  void Release(const Delivery& delivery);
  // Claims and executes everything due now, serially. Returns how many ran.
  int RunDue(int limit = 64);

  // Settles deliveries whose claim ran out: their instance died or hung (see
  // Store::RecoverExpired). Claims of live instances are left alone.
  Result<int> Recover();
  // Keeps this instance's claims alive and takes over expired ones: renews its leases and
  // runs Recover, every lease_ms / 6 (a no-op in between). The worker calls it on every pass,
  // busy or not.
  void Heartbeat();
  const std::string& owner() const { return deps_.owner; }

  // The clock due times are read on (DeliveryDeps::clock).
  const Clock& clock() const { return *deps_.clock; }

 private:
  void Attempt(const Delivery& d);
  // Writes again the outcomes the store refused (see unfinished_).
  void RetryUnfinished();
  // The claim of `id` ended: its outcome is recorded, or it was released or settled elsewhere.
  void Settled(std::int64_t id);
  // After a claim whose outcome is unknown (its connection broke, maybe after the commit),
  // gives back the rows this owner holds in the store but not in held_: claimed, never
  // attempted, and otherwise kept `sending` by this owner's own heartbeat for as long as it
  // lives.
  void ReleaseOrphans();
  // Ends a delivery whose attempt threw `why`; logs if even that cannot be recorded.
  void GiveUp(const Delivery& d, const std::string& why);
  DeliveryOutcome PostMention(const Delivery& d, DeliveryUpdate& update);
  DeliveryOutcome PostNotice(const Delivery& d, DeliveryUpdate& update);
  // Re-renders the thread root from the conversation as it is now (chat.update).
  DeliveryOutcome UpdateRoot(const Delivery& d);
  MentionCard CardFor(const Conversation& c, const StoredMessage& m) const;
  // Sends the reply; `reply` and `parent` (the customer message it answers) are filled in
  // as far as they could be read.
  DeliveryOutcome SendReply(const Delivery& d, StoredMessage& reply, StoredMessage& parent,
                            std::string& platform_display);
  void Record(const Delivery& d, const DeliveryOutcome& outcome, DeliveryUpdate& update);

  // An auth failure alerts the admins once per credential (the platform's, or the chat's in
  // one channel) until a delivery with it succeeds again: once for all instances and restarts,
  // since the store raises and lowers the alert with the attempt's outcome (DeliveryUpdate).
  void NoteCredential(const Delivery& d, const DeliveryOutcome& outcome, DeliveryUpdate& update);

  DeliveryDeps deps_;
  std::mutex mu_;  // guards rng_ and next_heartbeat_
  std::mt19937_64 rng_;

  // Outcomes the store could not record when the attempt ended (it may be briefly busy, or
  // the database away for a restart or failover), written again at each claim (and after
  // RunDue), never by sleeping on a delivery thread: every kFinishRetryMs for kFinishTries
  // tries, then every second (one refused call per pass, whatever waits), until the store
  // takes it (at most kMaxUnfinished wait; past that the oldest are dropped), so a reply sent just
  // before the database went away is recorded sent once it is back, however long it was away,
  // rather than flagged unknown (this owner's heartbeat keeps the row claimed meanwhile). If the
  // claim ran out in between (the heartbeat could not renew it) and recovery settled the
  // row, the store answers NotFound and the outcome is dropped.
  struct Unfinished {
    DeliveryUpdate update;
    UnixMs at = 0;
    int tries = 0;
  };
  static constexpr int kFinishTries = 4;
  static constexpr UnixMs kFinishRetryMs = 100;       // the worker looks again this soon
  static constexpr UnixMs kFinishSlowRetryMs = 1000;  // after kFinishTries
  static constexpr int kFinishLogEvery = 60;          // an error line about once a minute
  static constexpr std::size_t kMaxUnfinished = 10'000;
  std::mutex finish_mu_;
  std::vector<Unfinished> unfinished_;
  // Guarded by finish_mu_: the deliveries this engine claimed whose claim has not ended
  // (attempts in flight, outcomes waiting in unfinished_ or given up), and whether a claim
  // may have committed unseen (see ReleaseOrphans).
  std::set<std::int64_t> held_;
  bool claims_unknown_ = false;
  static constexpr int kOrphanScan = 10'000;  // `sending` rows read to find them
  UnixMs next_heartbeat_ = 0;
};

}  // namespace duplex
