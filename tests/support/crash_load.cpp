#include "support/crash_load.h"

#include <doctest/doctest.h>
#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <random>

#include "support/signed_requests.h"
#include "support/test_util.h"

namespace duplex::test {

using nlohmann::json;

CrashLoad::CrashLoad(std::function<int()> pick_port, int senders)
    : pick_port_(std::move(pick_port)), senders_(senders) {
  for (int t = 0; t < senders; ++t) threads_.emplace_back([this, t] { Send(t); });
  threads_.emplace_back([this] { Reply(); });
}

CrashLoad::~CrashLoad() {
  Stop();
}

void CrashLoad::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void CrashLoad::Send(int sender) {
  for (int n = 0; !stop_; ++n) {
    const std::string id = "t" + std::to_string(sender) + "-" + std::to_string(n);
    const std::string conversation =
        "conv-" + std::to_string(sender) + "-" + std::to_string(n % kConversationsPerSender);
    // Like a platform: resend until acknowledged (each resend is a duplicate for duplex).
    for (int attempt = 0; attempt < 200 && !stop_; ++attempt) {
      HttpResult r = SignedMention(pick_port_(), id, conversation, "crash-marker:" + id + ":end");
      if (r.ok() && r.response.status == 200) {
        std::lock_guard lock(mu_);
        acked_.insert(id);
        acked_count_++;
        break;
      }
      // A platform's resend delay (the server may be down for a restart), not a wait.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

void CrashLoad::Reply() {
  std::mt19937 rng(11);
  const RE2 queued(R"(Queued reply to #\d+ on \w+ \(delivery (\d+)\))");
  // Replies keep pace with the mentions: one for every few acknowledged, none while no
  // server answers.
  for (int k = 0, known = 1; !stop_; ++k) {
    WaitUntil([&] { return stop_ || acked_count_.load() >= known + 4; }, 60'000);
    known = acked_count_.load();
    if (stop_) break;
    // Conversation refs are 1..N, N at most the number of conversations the senders write
    // to; the low ones certainly exist once mentions are acked.
    const int conversations = std::min(std::max(1, known / 4), senders_ * kConversationsPerSender);
    const int ref = 1 + static_cast<int>(rng() % static_cast<unsigned>(conversations));
    const std::string text = "reply-" + std::to_string(k);
    HttpResult r = SignedCommand(pick_port_(), "reply " + std::to_string(ref) + " " + text,
                                 "trig-" + std::to_string(k));
    if (r.ok() && r.response.status == 200) {
      const std::string answer = json::parse(r.response.body, nullptr, false).value("text", "");
      long long delivery = 0;
      if (RE2::PartialMatch(answer, queued, &delivery)) {
        std::lock_guard lock(mu_);
        queued_[text] = delivery;
      }
    }
  }
}

double CrashTally::DuplicatePercent() const {
  return mention_posts
             ? 100.0 * static_cast<double>(duplicate_posts) / static_cast<double>(mention_posts)
             : 0;
}

std::ostream& operator<<(std::ostream& out, const CrashTally& t) {
  return out << "acked_mentions=" << t.acked << " mention_posts=" << t.mention_posts
             << " lost=" << t.lost << " duplicate_posts=" << t.duplicate_posts << " ("
             << t.DuplicatePercent() << "%) replies_queued=" << t.replies_queued
             << " replies_delivered=" << t.replies_delivered
             << " replies_unknown=" << t.replies_unknown << " (unflagged " << t.unknown_unflagged
             << ") replies_twice=" << t.replies_twice << " replies_missing=" << t.replies_missing;
}

CrashTally TallyCrash(const CrashLoad& load, const FakeSlack& slack, const FakeHttpServer& platform,
                      const std::string& reply_path, Store& store) {
  CrashTally t;
  t.acked = load.acked().size();
  const std::vector<json> posts = slack.Posts();

  // Every acknowledged mention reached Slack at least once.
  std::map<std::string, int> posted;
  const RE2 marker("crash-marker:([^:]+):end");
  for (const auto& p : posts) {
    // Mention cards only: a reply's confirmation quotes the message it answered.
    if (!p.contains("blocks")) continue;
    std::string id;
    if (RE2::PartialMatch(p.value("text", ""), marker, &id)) {
      posted[id]++;
      ++t.mention_posts;
    }
  }
  for (const auto& id : load.acked()) {
    if (posted[id] == 0) ++t.lost;
  }
  for (const auto& [id, n] : posted) t.duplicate_posts += static_cast<std::size_t>(n - 1);

  // Notices of replies whose outcome is unknown, by the delivery id they offer to retry.
  const RE2 retry_offer(R"(/duplex retry (\d+)`)");
  std::multimap<std::int64_t, json> unknown_notices;
  for (const auto& p : posts) {
    const std::string text = p.value("text", "");
    long long id = 0;
    if (text.find("may or may not have been posted") != std::string::npos &&
        RE2::PartialMatch(text, retry_offer, &id)) {
      unknown_notices.emplace(id, p);
    }
  }

  std::map<std::string, int> arrived;  // reply text -> requests that reached the platform
  for (const auto& r : platform.Requests(reply_path)) {
    arrived[json::parse(r.body, nullptr, false).value("text", "")]++;
  }
  for (const auto& [text, n] : arrived) {
    if (n > 1) ++t.replies_twice;
  }
  t.replies_queued = load.queued().size();
  for (const auto& [text, delivery] : load.queued()) {
    const int n = arrived.count(text) ? arrived[text] : 0;
    auto stored = store.GetDelivery(delivery);
    REQUIRE(stored.ok());
    const std::string state = stored->has_value() ? ToString((*stored)->state) : "missing";
    if (n == 1) {
      ++t.replies_delivered;
    } else if (state == "unknown") {
      ++t.replies_unknown;
      auto conversation = store.GetConversation((*stored)->conversation_id);
      REQUIRE(conversation.ok());
      REQUIRE(conversation->has_value());
      bool flagged = false;
      auto [from, to] = unknown_notices.equal_range(delivery);
      for (auto it = from; it != to; ++it) {
        const std::string said = it->second.value("text", "");
        const std::string quoted = "\n> " + text;  // the notice ends with the reply, quoted
        flagged =
            flagged || (it->second.value("thread_ts", "") == (*conversation)->chat_thread &&
                        said.size() > quoted.size() &&
                        said.compare(said.size() - quoted.size(), quoted.size(), quoted) == 0);
      }
      if (!flagged) {
        ++t.unknown_unflagged;
        MESSAGE("reply " << text << " (delivery " << delivery << ") is unknown, but no notice "
                         << "in its thread quotes it");
      }
    } else {
      ++t.replies_missing;
      MESSAGE("reply " << text << " (delivery " << delivery << ") state " << state << ", arrived "
                       << n);
    }
  }
  return t;
}

}  // namespace duplex::test
