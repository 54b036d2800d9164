#include "delivery/delivery_engine.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "commands/conversation_view.h"
#include "commands/notices.h"
#include "core/instance_id.h"
#include "core/log.h"

namespace duplex {

DeliveryEngine::DeliveryEngine(DeliveryDeps deps)
    : deps_(std::move(deps)), rng_(deps_.seed ? deps_.seed : std::random_device{}()) {
  if (deps_.owner.empty()) deps_.owner = NewInstanceId();
}

void DeliveryEngine::RetryUnfinished() {
  std::vector<Unfinished> pending;
  {
    std::lock_guard lock(finish_mu_);
    pending.swap(unfinished_);
  }
  std::size_t next = 0;
  for (; next < pending.size(); ++next) {
    Unfinished& u = pending[next];
    const Status s = deps_.store->FinishDelivery(u.update, u.at);
    const log::Fields fields = {{"delivery", std::to_string(u.update.id)}};
    if (s.ok()) {
      Settled(u.update.id);
      log::Info("delivery outcome recorded on a later try", fields);
    } else if (s.code() == StatusCode::kNotFound) {
      // The claim ran out while the database was away and recovery settled the row.
      Settled(u.update.id);
      log::Warn("delivery outcome not recorded: its claim had expired", fields);
    } else {
      // Kept until the database takes it: this owner's heartbeat keeps the row claimed, so
      // nothing else would ever settle it, and the attempt's real outcome is known here. The
      // rest wait untried: a store that refused this one would refuse them too, so a pass
      // costs one refused call, however many wait.
      ++u.tries;
      if (u.tries == kFinishTries || u.tries % kFinishLogEvery == 0) {
        log::Error(
            "delivery outcome not recorded yet; it is kept and written again until the "
            "database takes it",
            {{"delivery", std::to_string(u.update.id)},
             {"tries", std::to_string(u.tries)},
             {"waiting", std::to_string(pending.size() - next)},
             {"store_error", s.message()}});
      }
      break;
    }
  }
  if (next == pending.size()) return;
  std::lock_guard lock(finish_mu_);
  // Ahead of those recorded as failing meanwhile, oldest first.
  unfinished_.insert(unfinished_.begin(), std::make_move_iterator(pending.begin() + next),
                     std::make_move_iterator(pending.end()));
  if (unfinished_.size() > kMaxUnfinished) {
    // Claims go on while their outcomes cannot be written: a store refusing this one write
    // and taking others. The oldest are dropped; their rows stay `sending` under this
    // instance's heartbeat until it stops, and recovery then settles them.
    const std::size_t drop = unfinished_.size() - kMaxUnfinished;
    log::Error("delivery outcomes dropped: too many wait to be recorded",
               {{"dropped", std::to_string(drop)}});
    unfinished_.erase(unfinished_.begin(), unfinished_.begin() + static_cast<std::ptrdiff_t>(drop));
  }
}

void DeliveryEngine::Settled(std::int64_t id) {
  std::lock_guard lock(finish_mu_);
  held_.erase(id);
}

void DeliveryEngine::ReleaseOrphans() {
  {
    std::lock_guard lock(finish_mu_);
    if (!claims_unknown_) return;
  }
  auto sending = deps_.store->ListDeliveries({DeliveryState::kSending}, kOrphanScan);
  if (!sending.ok()) return;  // the database is still away: next pass
  std::vector<Delivery> orphans;
  {
    std::lock_guard lock(finish_mu_);
    claims_unknown_ = false;
    for (const auto& d : *sending) {
      if (d.owner == deps_.owner && held_.count(d.id) == 0) orphans.push_back(d);
    }
  }
  // Release sets claims_unknown_ again for one it cannot give back.
  for (const auto& d : orphans) Release(d);
  if (!orphans.empty()) {
    log::Info("released deliveries claimed as the database connection broke",
              {{"count", orphans.size()}});
  }
}

std::vector<Delivery> DeliveryEngine::Claim(int limit, UnixMs& wake_at) {
  RetryUnfinished();
  ReleaseOrphans();
  const UnixMs now = deps_.clock->NowMs();
  wake_at = now + 60'000;
  {
    std::lock_guard lock(finish_mu_);
    // A few quick tries for a busy store, then once a second while the database is away (the
    // first waiting outcome is the one each pass tries).
    if (!unfinished_.empty()) {
      wake_at = std::min(
          wake_at,
          now + (unfinished_.front().tries < kFinishTries ? kFinishRetryMs : kFinishSlowRetryMs));
    }
  }
  // A throttled target is passed over inside the claim, so one busy channel cannot hide due
  // work for the others behind the LIMIT, and its rows stay pending for other instances. A
  // target refused once is refused for the rest of the pass without asking the limiter again:
  // with a shared pacing state each question is a round trip to the database, so a pass costs
  // one per claimed delivery plus one per throttled target, not one per row it skips.
  std::set<std::string> refused;
  auto claimed =
      deps_.store->ClaimDue(deps_.owner, now, deps_.lease_ms, limit, {}, [&](const Delivery& d) {
        if (refused.count(d.target) > 0) return false;
        const Admission admission = deps_.limiter->Acquire(d.target, now);
        if (admission.granted) return true;
        refused.insert(d.target);
        wake_at = std::min(wake_at, admission.next_at);
        return false;
      });
  if (!claimed.ok()) {
    // It may have committed as the connection broke: rows claimed for no one, until
    // ReleaseOrphans finds them.
    std::lock_guard lock(finish_mu_);
    claims_unknown_ = true;
    wake_at = now + 1000;
    return {};
  }
  {
    std::lock_guard lock(finish_mu_);
    for (const auto& d : *claimed) held_.insert(d.id);
  }
  if (auto next = deps_.store->NextDueAt(); next.ok() && next->has_value()) {
    wake_at = std::min(wake_at, std::max(now, **next));
  }
  return std::move(*claimed);
}

int DeliveryEngine::RunDue(int limit) {
  UnixMs wake_at = 0;
  auto claimed = Claim(limit, wake_at);
  for (const auto& d : claimed) Execute(d);
  RetryUnfinished();
  return static_cast<int>(claimed.size());
}

void DeliveryEngine::Release(const Delivery& d) {
  DeliveryUpdate update;
  update.id = d.id;
  update.owner = d.owner;
  update.state = DeliveryState::kPending;
  update.count_attempt = false;
  update.next_attempt_at = deps_.clock->NowMs();
  update.error = d.last_error;
  const Status s = deps_.store->FinishDelivery(update, deps_.clock->NowMs());
  Settled(d.id);
  if (!s.ok() && s.code() != StatusCode::kNotFound) {
    log::Warn("could not release a claimed delivery", {{"delivery", d.id}});
    // Never attempted: ReleaseOrphans gives it back once the database answers.
    std::lock_guard lock(finish_mu_);
    claims_unknown_ = true;
  }
}

void DeliveryEngine::Heartbeat() {
  const UnixMs now = deps_.clock->NowMs();
  {
    std::lock_guard lock(mu_);
    if (now < next_heartbeat_) return;
    next_heartbeat_ = now + std::max<UnixMs>(deps_.lease_ms / 6, 1);
  }
  if (auto renewed = deps_.store->RenewLeases(deps_.owner, now, deps_.lease_ms); !renewed.ok()) {
    log::Warn("could not renew delivery leases", {{"error", renewed.status().message()}});
  }
  auto recovered = Recover();
  if (recovered.ok() && *recovered > 0) {
    log::Info("took over deliveries whose claim ran out", {{"count", std::to_string(*recovered)}});
  }
}

Result<int> DeliveryEngine::Recover() {
  const ChatDialect& dialect = deps_.chat->Dialect();
  return deps_.store->RecoverExpired(
      deps_.clock->NowMs(), [&](const StoredMessage& reply, std::int64_t delivery_id) {
        return notices::ReplyUnknown(dialect, reply.chat_user, reply.text,
                                     "duplex stopped while sending it", delivery_id);
      });
}

MentionCard DeliveryEngine::CardFor(const Conversation& c, const StoredMessage& m) const {
  MentionCard card;
  card.ref = c.id;
  card.platform = c.platform;
  auto it = deps_.connectors->find(c.platform);
  card.platform_display =
      it != deps_.connectors->end() ? it->second->DisplayNameFor(m.reply_target) : c.platform;
  card.kind = m.kind;
  card.author = m.author;
  card.text = m.text;
  card.permalink = m.permalink;
  card.vip = IsVip(m.author, deps_.vip_followers);
  card.reopened = m.reopened;
  return card;
}

DeliveryOutcome DeliveryEngine::PostMention(const Delivery& d, DeliveryUpdate& update) {
  auto conv = deps_.store->GetConversation(d.conversation_id);
  auto msg = deps_.store->GetMessage(d.message_id);
  if (!conv.ok() || !msg.ok()) {
    return DeliveryOutcome::Fail(OutcomeKind::kRetry, "database unavailable");
  }
  if (!conv->has_value() || !msg->has_value()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "conversation or message missing");
  }
  const Conversation& c = **conv;
  MentionCard card = CardFor(c, **msg);
  if (c.chat_thread.empty()) {
    card.root = true;
    card.closed = c.state == ConversationState::kClosed;
    card.state_line = StateLine(deps_.chat->Dialect(), c, deps_.sla, deps_.clock->NowMs());
  }
  ChatMessage post{c.channel, c.chat_thread, card, {}};
  DeliveryOutcome o = deps_.chat->Post(post);
  if (o.kind == OutcomeKind::kDone) {
    update.message_chat_post = o.remote_id;
    if (c.chat_thread.empty()) update.chat_thread_for_conversation = o.remote_id;
  }
  return o;
}

DeliveryOutcome DeliveryEngine::PostNotice(const Delivery& d, DeliveryUpdate&) {
  ChatMessage post;
  post.text = d.payload;
  if (d.conversation_id != 0) {
    auto conv = deps_.store->GetConversation(d.conversation_id);
    if (!conv.ok()) return DeliveryOutcome::Fail(OutcomeKind::kRetry, "database unavailable");
    if (!conv->has_value())
      return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "conversation missing");
    post.channel = (*conv)->channel;
    post.thread = (*conv)->chat_thread;
  } else {
    post.channel = d.target.substr(d.target.find(':') + 1);
  }
  return deps_.chat->Post(post);
}

DeliveryOutcome DeliveryEngine::UpdateRoot(const Delivery& d) {
  auto conv = deps_.store->GetConversation(d.conversation_id);
  if (!conv.ok()) return DeliveryOutcome::Fail(OutcomeKind::kRetry, "database unavailable");
  if (!conv->has_value()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "conversation missing");
  }
  const Conversation& c = **conv;
  // No root in chat (its post gave up, or every message was muted): nothing to edit.
  if (c.chat_thread.empty()) return DeliveryOutcome::Done("");
  auto messages = deps_.store->ListMessages(c.id);
  if (!messages.ok()) return DeliveryOutcome::Fail(OutcomeKind::kRetry, "database unavailable");
  const StoredMessage* root = nullptr;
  for (const auto& m : *messages) {
    if (m.direction == MessageDirection::kIn && m.chat_post == c.chat_thread) root = &m;
  }
  if (root == nullptr) return DeliveryOutcome::Done("");
  MentionCard card = CardFor(c, *root);
  card.root = true;
  card.closed = c.state == ConversationState::kClosed;
  card.state_line = StateLine(deps_.chat->Dialect(), c, deps_.sla, deps_.clock->NowMs());
  return deps_.chat->Update({c.channel, "", card, {}}, c.chat_thread);
}

DeliveryOutcome DeliveryEngine::SendReply(const Delivery& d, StoredMessage& reply,
                                          StoredMessage& parent, std::string& platform_display) {
  auto conv = deps_.store->GetConversation(d.conversation_id);
  auto msg = deps_.store->GetMessage(d.message_id);
  if (!conv.ok() || !msg.ok())
    return DeliveryOutcome::Fail(OutcomeKind::kRetry, "database unavailable");
  if (!conv->has_value() || !msg->has_value()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent, "conversation or reply missing");
  }
  reply = **msg;
  const Conversation& c = **conv;
  platform_display = c.platform;
  auto it = deps_.connectors->find(c.platform);
  if (it == deps_.connectors->end()) {
    return DeliveryOutcome::Fail(OutcomeKind::kPermanent,
                                 "platform '" + c.platform + "' is not configured");
  }
  if (reply.parent_id != 0) {
    auto p = deps_.store->GetMessage(reply.parent_id);
    if (!p.ok()) return DeliveryOutcome::Fail(OutcomeKind::kRetry, "database unavailable");
    if (p->has_value()) parent = **p;
  }
  platform_display = it->second->DisplayNameFor(parent.reply_target);
  ReplyRequest req;
  req.delivery_id = d.id;
  req.conversation_id = c.id;
  req.conversation_key = c.conversation_key;
  req.reply_target = parent.reply_target;
  req.in_reply_to = parent.platform_message_id;
  req.in_reply_to_at = parent.created_at;
  req.text = reply.text;
  req.account = c.account;
  req.now = deps_.clock->NowMs();
  return it->second->SendReply(req, *deps_.http);
}

void DeliveryEngine::Execute(const Delivery& d) {
  try {
    Attempt(d);
  } catch (const std::exception& e) {
    GiveUp(d, e.what());
  } catch (...) {
    GiveUp(d, "an unknown exception");
  }
}

void DeliveryEngine::GiveUp(const Delivery& d, const std::string& why) {
  const std::string reason = "internal error: " + why;
  const bool is_reply = d.kind == DeliveryKind::kPlatformReply;
  log::Fields fields = {{"delivery", d.id},
                        {"kind", ToString(d.kind)},
                        {"target", d.target},
                        {"result", is_reply ? "unknown" : "dead"},
                        {"error", reason}};
  try {
    DeliveryUpdate update;
    update.id = d.id;
    update.owner = d.owner;
    update.error = reason;
    update.state = is_reply ? DeliveryState::kUnknown : DeliveryState::kDead;
    if (is_reply) {
      // The exception may have come after the platform took the reply: never resent by itself.
      update.message_status = "unknown";
      auto reply = deps_.store->GetMessage(d.message_id);
      auto conv = deps_.store->GetConversation(d.conversation_id);
      if (reply.ok() && reply->has_value() && conv.ok() && conv->has_value()) {
        update.follow_ups.push_back(
            {DeliveryKind::kChatNotice, d.conversation_id, 0, ChatTarget((*conv)->channel),
             notices::ReplyUnknown(deps_.chat->Dialect(), (*reply)->chat_user, (*reply)->text,
                                   reason, d.id)});
      }
    }
    Status s = deps_.store->FinishDelivery(update, deps_.clock->NowMs());
    if (s.ok() || s.code() == StatusCode::kNotFound) Settled(d.id);
    if (!s.ok()) fields.emplace_back("store_error", s.message());
    log::Error(s.ok() ? "delivery attempt threw; the delivery was given up"
                      : "delivery attempt threw and its end was not recorded",
               fields);
    if (deps_.metrics) {
      deps_.metrics->Inc("duplex_deliveries_total",
                         {{"kind", ToString(d.kind)}, {"result", is_reply ? "unknown" : "dead"}});
    }
  } catch (const std::exception& e) {
    // The row stays `sending` until its lease runs out; recovery then settles it (a reply
    // becomes unknown).
    fields.emplace_back("store_error", e.what());
    log::Error("delivery attempt threw and its end was not recorded", fields);
  }
}

void DeliveryEngine::Attempt(const Delivery& d) {
  DeliveryUpdate update;
  update.id = d.id;
  update.owner = d.owner;
  DeliveryOutcome outcome;
  if (d.kind == DeliveryKind::kPlatformReply) {
    StoredMessage reply, parent;
    std::string platform_display;
    outcome = SendReply(d, reply, parent, platform_display);
    update.parent_reply_target = outcome.new_reply_target;
    const ChatDialect& dialect = deps_.chat->Dialect();
    NewDelivery notice{DeliveryKind::kChatNotice, d.conversation_id, 0, "", ""};
    // The root shows "replied" and the answer time once a reply lands while it awaits one.
    bool root_changes = false;
    if (auto conv = deps_.store->GetConversation(d.conversation_id);
        conv.ok() && conv->has_value()) {
      const Conversation& c = **conv;
      notice.target = ChatTarget(c.channel);
      root_changes = !c.sla_stopped_at || c.state == ConversationState::kOpen ||
                     c.state == ConversationState::kAssigned;
    }
    switch (outcome.kind) {
      case OutcomeKind::kDone:
        update.message_status = "sent";
        update.message_remote_id = outcome.remote_id;
        update.message_url = outcome.url;
        update.first_response = true;
        notice.payload = notices::ReplySent(dialect, reply.chat_user, reply.text, platform_display,
                                            outcome.url, parent.author, parent.text);
        update.follow_ups.push_back(notice);
        if (root_changes) {
          update.follow_ups.push_back(
              {DeliveryKind::kChatUpdate, d.conversation_id, 0, notice.target, ""});
        }
        break;
      case OutcomeKind::kUncertain:
        notice.payload =
            notices::ReplyUnknown(dialect, reply.chat_user, reply.text, outcome.error, d.id);
        update.message_status = "unknown";
        update.follow_ups.push_back(notice);
        break;
      case OutcomeKind::kPermanent:
        notice.payload =
            notices::ReplyFailed(dialect, reply.chat_user, reply.text, outcome.error, d.id);
        update.message_status = "failed";
        update.follow_ups.push_back(notice);
        break;
      case OutcomeKind::kRetry:
        // Record() dead-letters when the schedule is used up; the notice rides along then.
        notice.payload = notices::ReplyFailed(dialect, reply.chat_user, reply.text,
                                              outcome.error + " (gave up after retries)", d.id);
        update.follow_ups.push_back(notice);
        update.message_status = "failed";
        break;
    }
  } else if (d.kind == DeliveryKind::kChatPost) {
    outcome = PostMention(d, update);
  } else if (d.kind == DeliveryKind::kChatUpdate) {
    outcome = UpdateRoot(d);
  } else {
    outcome = PostNotice(d, update);
  }
  Record(d, outcome, update);
}

void DeliveryEngine::NoteCredential(const Delivery& d, const DeliveryOutcome& outcome,
                                    DeliveryUpdate& update) {
  std::string credential = "chat";
  if (d.kind == DeliveryKind::kPlatformReply) credential = d.target.substr(0, d.target.find(':'));
  // A platform's alert is its credential's; the chat's is per channel ("chat:C…"), since a
  // chat can refuse one channel and take the others (Mattermost's 403 for a channel the bot
  // is not in): a success elsewhere, or the alert's own post, must not lower it.
  const std::string latch = d.kind == DeliveryKind::kPlatformReply ? credential : d.target;
  // The alerts themselves (the only notices without a conversation) neither raise nor lower
  // one: an alert that cannot be posted for the same reason would only alert about itself.
  if (d.kind == DeliveryKind::kChatNotice && d.conversation_id == 0) return;
  if (outcome.kind == OutcomeKind::kDone) {
    update.credential = latch;  // lowers its alert, if one is raised
    return;
  }
  if (!outcome.auth_failure || deps_.default_channel.empty()) return;
  // The store inserts the notice only if it raises the alert: one for every instance.
  update.credential = latch;
  const ChatDialect& dialect = deps_.chat->Dialect();
  std::string who;
  if (deps_.admins) {
    for (const auto& a : deps_.admins()) who += dialect.User(a) + " ";
  }
  std::string what = credential == "chat" ? "the chat" : credential;
  const bool token = outcome.admin_advice.empty();
  update.credential_alert =
      NewDelivery{DeliveryKind::kChatNotice, 0, 0, ChatTarget(deps_.default_channel),
                  who + (token ? "duplex cannot authenticate with " : "duplex cannot use ") + what +
                      ": " + dialect.Escape(outcome.error) + ". " +
                      (token ? "Check its token in the config and restart duplex."
                             : dialect.Escape(outcome.admin_advice)) +
                      " Deliveries that need it fail until then (`/duplex deadletters` lists them, "
                      "`/duplex retry <id>` sends one again); this alert is not repeated until one "
                      "succeeds."};
}

void DeliveryEngine::Record(const Delivery& d, const DeliveryOutcome& outcome,
                            DeliveryUpdate& update) {
  const UnixMs now = deps_.clock->NowMs();
  const bool is_reply = d.kind == DeliveryKind::kPlatformReply;
  std::string result;
  switch (outcome.kind) {
    case OutcomeKind::kDone:
      update.state = DeliveryState::kDone;
      result = "done";
      break;
    case OutcomeKind::kPermanent:
      update.state = DeliveryState::kDead;
      update.error = outcome.error;
      result = "dead";
      break;
    case OutcomeKind::kUncertain:
      if (is_reply) {
        update.state = DeliveryState::kUnknown;
        update.error = outcome.error;
        result = "unknown";
        break;
      }
      [[fallthrough]];  // chat posts are at-least-once: uncertain is just another retry
    case OutcomeKind::kRetry: {
      update.error = outcome.error;
      std::optional<UnixMs> delay;
      {
        std::lock_guard lock(mu_);
        if (outcome.retry_after_ms) {
          delay = deps_.retry.HintDelay(*outcome.retry_after_ms, rng_);
          update.count_attempt = false;
        } else {
          delay = deps_.retry.NextDelay(d.attempts + 1, rng_);
        }
      }
      if (outcome.retry_after_ms) deps_.limiter->Penalize(d.target, now + *delay);
      if (delay && now - d.created_at <= deps_.retry.max_age_ms) {
        update.state = DeliveryState::kPending;
        update.next_attempt_at = now + *delay;
        update.message_status.clear();
        update.follow_ups.clear();
        result = "retry";
      } else {
        update.state = DeliveryState::kDead;
        result = "dead";
      }
      break;
    }
  }
  NoteCredential(d, outcome, update);
  const Status s = deps_.store->FinishDelivery(update, now);
  if (s.ok() || s.code() == StatusCode::kNotFound) Settled(d.id);
  log::Fields fields = {
      {"delivery", d.id}, {"kind", ToString(d.kind)}, {"target", d.target}, {"result", result}};
  if (!outcome.error.empty()) fields.emplace_back("error", outcome.error);
  if (s.code() == StatusCode::kNotFound) {
    // A lost claim: the lease ran out and recovery settled the row; this outcome is not ours
    // to write any more.
    fields.emplace_back("store_error", s.message());
    log::Warn("delivery outcome not recorded: its claim had expired", fields);
  } else if (!s.ok()) {
    // The store may be briefly busy, or the database away (a restart, a failover): the
    // outcome is written again at the next claims, and the row stays `sending` until then.
    fields.emplace_back("store_error", s.message());
    log::Warn("delivery outcome not recorded yet; it is written again at the next claim", fields);
    std::lock_guard lock(finish_mu_);
    unfinished_.push_back({update, now, 1});
  } else if (result == "done") {
    log::Debug("delivered", fields);
  } else {
    log::Warn("delivery not done", fields);
  }
  if (deps_.metrics) {
    deps_.metrics->Inc("duplex_deliveries_total", {{"kind", ToString(d.kind)}, {"result", result}});
  }
}

}  // namespace duplex
