// Hand-written fakes for the ports: an HttpClient that returns scripted results, a chat
// poster that records, and a store decorator that fails chosen writes.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "chat/chat.h"
#include "chat/console/console_poster.h"
#include "core/http_client.h"
#include "storage/store.h"
#include "support/fake_clock.h"

namespace duplex::test {

class FakeHttpClient final : public HttpClient {
 public:
  // Results returned in order; when none are left, `fallback` answers (default 200 {}).
  void Push(HttpResult result);
  void PushStatus(int status, const std::string& body = "{}", HeaderList headers = {});
  void PushError(TransportError error, const std::string& message = "scripted failure");
  std::function<HttpResult(const HttpRequest&)> fallback;

  HttpResult Send(const HttpRequest& request) override;
  std::vector<HttpRequest> requests() const;

 private:
  mutable std::mutex mu_;
  std::deque<HttpResult> scripted_;
  std::vector<HttpRequest> requests_;
};

class RecordingPoster final : public ChatPoster {
 public:
  // Writes in `dialect` (default: the console's plain one).
  explicit RecordingPoster(const ChatDialect* dialect = nullptr) : custom_dialect_(dialect) {}
  const ChatDialect& Dialect() const override {
    return custom_dialect_ ? *custom_dialect_ : dialect_;
  }
  DeliveryOutcome Post(const ChatMessage& message) override;
  DeliveryOutcome Update(const ChatMessage& message, const std::string& post_id) override;

  std::vector<ChatMessage> posts() const;
  // Updates as (post id, new content), in order; scripted outcomes apply to them too.
  std::vector<std::pair<std::string, ChatMessage>> updates() const;
  // Outcomes returned in order before the default (Done with ts "ts-N").
  void PushOutcome(DeliveryOutcome o);

 private:
  mutable std::mutex mu_;
  std::vector<ChatMessage> posts_;
  std::vector<std::pair<std::string, ChatMessage>> updates_;
  std::deque<DeliveryOutcome> scripted_;
  int next_ = 1;
  ConsoleDialect dialect_;
  const ChatDialect* custom_dialect_ = nullptr;
};

// Wraps a real store; write number `fail_at` (1-based, counting Ingest, QueueReply,
// ClaimDue, RenewLeases, FinishDelivery, RequeueDelivery, ClaimEvent, RecoverExpired,
// RecordDeliveryFailures, the administration writes (routes, mutes, admins, audit) and the
// staff writes below) fails with Unavailable without touching the real store.
class FailingStore final : public Store {
 public:
  FailingStore(Store& inner, int fail_at) : inner_(inner), fail_at_(fail_at) {}
  int writes() const { return writes_; }
  // A crash where a note is written: the first AddNote fails without touching the real
  // store, and so does every write after it until Restart(), as if the process had died
  // there (nothing that would have run after that point runs).
  bool crash_on_note = false;
  void Restart() { crashed_ = false; }
  // Every write fails from now until Restart(), as while the database is away.
  void Crash() { crashed_ = true; }
  // Runs after every ClaimDue that succeeded, with what it claimed: a test acts between a
  // claim and its use.
  std::function<void(const std::vector<Delivery>&)> after_claim;
  // The next this many ClaimDue calls claim in the real store but answer Unavailable, as when
  // the connection breaks after the commit.
  int lose_claim_answers = 0;
  // While set, every FinishDelivery answers Unavailable (counted), and every other call goes
  // through: a store that takes claims but refuses outcomes.
  bool refuse_finishes = false;
  int refused_finishes = 0;

  Status Ping() override { return inner_.Ping(); }
  Result<std::vector<IngestOutcome>> Ingest(const std::vector<IngestItem>& items,
                                            UnixMs now) override;
  Result<std::optional<Conversation>> GetConversation(std::int64_t id) override {
    return inner_.GetConversation(id);
  }
  Result<std::optional<StoredMessage>> GetMessage(std::int64_t id) override {
    return inner_.GetMessage(id);
  }
  Result<std::vector<StoredMessage>> ListMessages(std::int64_t id) override {
    return inner_.ListMessages(id);
  }
  Result<std::optional<Conversation>> FindConversationByThread(const std::string& c,
                                                               const std::string& t) override {
    return inner_.FindConversationByThread(c, t);
  }
  Result<std::optional<StoredMessage>> LatestMessageFrom(std::int64_t id,
                                                         const std::string& author) override {
    return inner_.LatestMessageFrom(id, author);
  }
  Result<QueuedReply> QueueReply(const NewReply& reply, UnixMs now) override;
  Result<std::vector<Delivery>> ClaimDue(
      const std::string& owner, UnixMs now, UnixMs lease_ms, int limit,
      const std::vector<std::string>& skip,
      const std::function<bool(const Delivery&)>& admit) override {
    auto claimed = Write([&] { return inner_.ClaimDue(owner, now, lease_ms, limit, skip, admit); });
    if (claimed.ok() && lose_claim_answers > 0) {
      --lose_claim_answers;
      return Status::Unavailable("connection lost after the commit (injected)");
    }
    if (claimed.ok() && after_claim) after_claim(*claimed);
    return claimed;
  }
  Result<int> RenewLeases(const std::string& owner, UnixMs now, UnixMs lease_ms) override {
    return Write([&] { return inner_.RenewLeases(owner, now, lease_ms); });
  }
  Status FinishDelivery(const DeliveryUpdate& u, UnixMs now) override;
  Result<std::optional<Delivery>> GetDelivery(std::int64_t id) override {
    return inner_.GetDelivery(id);
  }
  Result<std::optional<UnixMs>> NextDueAt() override { return inner_.NextDueAt(); }
  Result<OutboxStats> GetOutboxStats() override { return inner_.GetOutboxStats(); }
  Result<std::vector<Delivery>> ListDeliveries(const std::vector<DeliveryState>& states,
                                               int limit) override {
    return inner_.ListDeliveries(states, limit);
  }
  Result<Delivery> RequeueDelivery(std::int64_t id, UnixMs now) override;
  std::unique_ptr<OutboxWatch> WatchOutbox(std::function<void()> on_change) override {
    return inner_.WatchOutbox(std::move(on_change));
  }
  Result<bool> ClaimEvent(const std::string& source, const std::string& id, UnixMs now) override;
  Result<int> RecoverExpired(
      UnixMs now, const std::function<std::string(const StoredMessage&, std::int64_t)>& f) override;
  Result<std::vector<FailureOutcome>> RecordDeliveryFailures(
      const std::string& platform, const std::vector<ReportedFailure>& failures, UnixMs now,
      const std::function<std::string(const StoredMessage&, std::int64_t, const std::string&)>&
          notice) override {
    return Write([&] { return inner_.RecordDeliveryFailures(platform, failures, now, notice); });
  }

  Result<std::vector<Route>> ListRoutes() override { return inner_.ListRoutes(); }
  Result<bool> PutRoute(const Route& r, UnixMs now) override {
    return Write([&] { return inner_.PutRoute(r, now); });
  }
  Result<bool> DeleteRoute(const std::string& name) override {
    return Write([&] { return inner_.DeleteRoute(name); });
  }
  Result<bool> SetRouteEnabled(const std::string& name, bool enabled, UnixMs now) override {
    return Write([&] { return inner_.SetRouteEnabled(name, enabled, now); });
  }
  Result<bool> AddMute(const Mute& m) override {
    return Write([&] { return inner_.AddMute(m); });
  }
  Result<bool> RemoveMute(const std::string& platform, const std::string& author) override {
    return Write([&] { return inner_.RemoveMute(platform, author); });
  }
  Result<std::vector<Mute>> ListMutes() override { return inner_.ListMutes(); }
  Result<bool> AddAdmin(const StoredAdmin& a) override {
    return Write([&] { return inner_.AddAdmin(a); });
  }
  Result<bool> RemoveAdmin(const std::string& user_id, bool keep_last) override {
    return Write([&] { return inner_.RemoveAdmin(user_id, keep_last); });
  }
  Result<std::vector<StoredAdmin>> ListAdmins() override { return inner_.ListAdmins(); }
  Result<std::int64_t> AppendAudit(const AuditEntry& e) override {
    return Write([&] { return inner_.AppendAudit(e); });
  }
  Status FinishAudit(std::int64_t id, AuditResult result, const std::string& detail) override {
    return Write([&] { return inner_.FinishAudit(id, result, detail); });
  }
  Result<std::vector<AuditEntry>> RecentAudit(int limit) override {
    return inner_.RecentAudit(limit);
  }
  // Staff workflow: EditConversation, AddNote, RecordSlaAlert, PutTemplate and DeleteTemplate
  // count as writes.
  Result<EditOutcome> EditConversation(const ConversationEdit& edit, UnixMs now) override;
  Result<std::int64_t> AddNote(const NewNote& note, UnixMs now) override;
  Result<std::vector<QueueEntry>> ListQueue(const std::string& channel, int limit) override {
    return inner_.ListQueue(channel, limit);
  }
  Result<std::vector<Conversation>> ListSlaCandidates(UnixMs started_before, int limit) override {
    return inner_.ListSlaCandidates(started_before, limit);
  }
  Result<bool> RecordSlaAlert(const SlaAlertRecord& alert, UnixMs now) override;
  Result<std::vector<StatsRow>> ListStatsRows(UnixMs since) override {
    return inner_.ListStatsRows(since);
  }
  Result<std::vector<ReplyTemplate>> ListTemplates() override { return inner_.ListTemplates(); }
  Result<std::optional<ReplyTemplate>> GetTemplate(const std::string& name) override {
    return inner_.GetTemplate(name);
  }
  Result<bool> PutTemplate(const ReplyTemplate& t) override;
  Result<bool> DeleteTemplate(const std::string& name) override;
  // Pacing and leases pass through, not counted as writes.
  Result<Admission> TakePace(const std::string& target, const RateLimit& limit,
                             UnixMs now) override {
    return inner_.TakePace(target, limit, now);
  }
  Status BlockPace(const std::string& target, UnixMs until) override {
    return inner_.BlockPace(target, until);
  }
  Result<bool> TakeLease(const std::string& name, const std::string& owner, UnixMs now,
                         UnixMs lease_ms) override {
    return inner_.TakeLease(name, owner, now, lease_ms);
  }
  Status DropLease(const std::string& name, const std::string& owner) override {
    return inner_.DropLease(name, owner);
  }
  Result<std::string> LeaseState(const std::string& name) override {
    return inner_.LeaseState(name);
  }
  Result<bool> SaveLeaseState(const std::string& name, const std::string& owner, UnixMs now,
                              const std::string& state) override {
    return inner_.SaveLeaseState(name, owner, now, state);
  }

 private:
  bool ShouldFail() { return crashed_ || ++writes_ == fail_at_; }
  template <typename F>
  auto Write(F&& write) -> decltype(write()) {
    if (ShouldFail()) return Status::Unavailable("injected failure");
    return write();
  }
  Store& inner_;
  int fail_at_;
  int writes_ = 0;
  bool crashed_ = false;
  bool crash_done_ = false;
};

}  // namespace duplex::test
