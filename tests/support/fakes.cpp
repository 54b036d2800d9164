#include "support/fakes.h"

namespace duplex::test {

void FakeHttpClient::Push(HttpResult result) {
  std::lock_guard lock(mu_);
  scripted_.push_back(std::move(result));
}

void FakeHttpClient::PushStatus(int status, const std::string& body, HeaderList headers) {
  HttpResult r;
  r.response.status = status;
  r.response.body = body;
  r.response.headers = std::move(headers);
  Push(r);
}

void FakeHttpClient::PushError(TransportError error, const std::string& message) {
  HttpResult r;
  r.error = error;
  r.error_message = message;
  Push(r);
}

HttpResult FakeHttpClient::Send(const HttpRequest& request) {
  std::function<HttpResult(const HttpRequest&)> fb;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (!scripted_.empty()) {
      HttpResult r = scripted_.front();
      scripted_.pop_front();
      return r;
    }
    fb = fallback;
  }
  if (fb) return fb(request);
  HttpResult r;
  r.response.status = 200;
  r.response.body = "{}";
  return r;
}

std::vector<HttpRequest> FakeHttpClient::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

DeliveryOutcome RecordingPoster::Post(const ChatMessage& message) {
  std::lock_guard lock(mu_);
  if (!scripted_.empty()) {
    DeliveryOutcome o = scripted_.front();
    scripted_.pop_front();
    if (o.kind == OutcomeKind::kDone) posts_.push_back(message);
    return o;
  }
  posts_.push_back(message);
  return DeliveryOutcome::Done("ts-" + std::to_string(next_++));
}

DeliveryOutcome RecordingPoster::Update(const ChatMessage& message, const std::string& post_id) {
  std::lock_guard lock(mu_);
  if (!scripted_.empty()) {
    DeliveryOutcome o = scripted_.front();
    scripted_.pop_front();
    if (o.kind == OutcomeKind::kDone) updates_.emplace_back(post_id, message);
    return o;
  }
  updates_.emplace_back(post_id, message);
  return DeliveryOutcome::Done(post_id);
}

std::vector<std::pair<std::string, ChatMessage>> RecordingPoster::updates() const {
  std::lock_guard lock(mu_);
  return updates_;
}

std::vector<ChatMessage> RecordingPoster::posts() const {
  std::lock_guard lock(mu_);
  return posts_;
}

void RecordingPoster::PushOutcome(DeliveryOutcome o) {
  std::lock_guard lock(mu_);
  scripted_.push_back(std::move(o));
}

Result<std::vector<IngestOutcome>> FailingStore::Ingest(const std::vector<IngestItem>& items,
                                                        UnixMs now) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.Ingest(items, now);
}

Result<QueuedReply> FailingStore::QueueReply(const NewReply& reply, UnixMs now) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.QueueReply(reply, now);
}

Status FailingStore::FinishDelivery(const DeliveryUpdate& u, UnixMs now) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  if (refuse_finishes) {
    ++refused_finishes;
    return Status::Unavailable("outcome refused (injected)");
  }
  return inner_.FinishDelivery(u, now);
}

Result<Delivery> FailingStore::RequeueDelivery(std::int64_t id, UnixMs now) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.RequeueDelivery(id, now);
}

Result<bool> FailingStore::ClaimEvent(const std::string& source, const std::string& id,
                                      UnixMs now) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.ClaimEvent(source, id, now);
}

Result<int> FailingStore::RecoverExpired(
    UnixMs now, const std::function<std::string(const StoredMessage&, std::int64_t)>& f) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.RecoverExpired(now, f);
}

Result<EditOutcome> FailingStore::EditConversation(const ConversationEdit& edit, UnixMs now) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.EditConversation(edit, now);
}

Result<std::int64_t> FailingStore::AddNote(const NewNote& note, UnixMs now) {
  if (crash_on_note && !crash_done_) {
    crash_done_ = crashed_ = true;
    return Status::Unavailable("the process died here (injected)");
  }
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.AddNote(note, now);
}

Result<bool> FailingStore::RecordSlaAlert(const SlaAlertRecord& alert, UnixMs now) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.RecordSlaAlert(alert, now);
}

Result<bool> FailingStore::PutTemplate(const ReplyTemplate& t) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.PutTemplate(t);
}

Result<bool> FailingStore::DeleteTemplate(const std::string& name) {
  if (ShouldFail()) return Status::Unavailable("database unavailable (injected)");
  return inner_.DeleteTemplate(name);
}

}  // namespace duplex::test
