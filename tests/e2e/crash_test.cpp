// The crash test: the real binary under load from concurrent senders, killed with SIGKILL at
// random moments and restarted. Afterwards every acknowledged mention must have reached the
// fake Slack (duplicates are counted and must stay rare), and no customer reply may have
// reached the fake platform twice; a queued reply that never arrived must be flagged unknown,
// with a notice in its conversation's thread that quotes it and says how to send it again.
#include <doctest/doctest.h>
#include <signal.h>

#include <re2/re2.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "app/httplib_client.h"
#include "core/text.h"
#include "security/signatures.h"
#include "support/e2e_env.h"
#include "support/process.h"

namespace duplex::test {

using nlohmann::json;

namespace {

struct Shared {
  std::mutex mu;
  std::set<std::string> acked;                 // mention ids that got a 2xx
  std::map<std::string, std::int64_t> queued;  // reply text -> delivery id, from the command answer
  std::atomic<int> acked_count{0};
};

HttpResult SignedCommand(HttplibClient& http, int port, const std::string& text,
                         const std::string& trigger) {
  SystemClock clock;
  std::string form =
      "team_id=" + std::string(kTeam) + "&channel_id=" + kDefaultChannel +
      "&user_id=U0STAFF&user_name=staff&command=%2Fduplex&text=" + text::UrlEncode(text) +
      "&trigger_id=" + trigger;
  std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/chat/slack/commands";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = form;
  req.timeout_ms = 5000;
  req.headers = {{"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", security::SignSlackV0(kSigningSecret, ts, form)}};
  return http.Send(req);
}

HttpResult SignedMention(HttplibClient& http, int port, const std::string& id,
                         const std::string& conversation) {
  SystemClock clock;
  std::string body = E2eEnv::GenericMention(id, conversation, "crash-marker:" + id + ":end").dump();
  std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/generic";
  req.body = body;
  req.timeout_ms = 5000;
  req.headers = {
      {"webhook-id", "wh-" + id},
      {"webhook-timestamp", ts},
      {"webhook-signature", security::SignStandardWebhook(kGenericSecret, "wh-" + id, ts, body)}};
  return http.Send(req);
}

}  // namespace

TEST_CASE(
    "crash test: SIGKILL at random moments loses no acknowledged mention and posts no reply "
    "twice") {
  TempDir dir;
  E2eDatabase database(dir);
  FakeSlack slack;
  FakeHttpServer receiver;
  std::mutex replies_mu;
  std::map<std::string, int> reply_counts;
  receiver.On("/replies", [&](const RecordedRequest& r) {
    json body = json::parse(r.body, nullptr, false);
    std::lock_guard lock(replies_mu);
    reply_counts[body.value("text", "")]++;
    return FakeAnswer{200, R"({"url":"https://crm.example.com/r"})"};
  });
  const int port = FreePort();
  json config = {
      {"listen", {{"host", "127.0.0.1"}, {"port", port}, {"threads", 32}}},
      {"database", database.config()},
      {"chat",
       {{"kind", "slack"},
        {"api_base", slack.api_base()},
        {"bot_token", kBotToken},
        {"signing_secret", kSigningSecret},
        {"team_id", kTeam},
        {"default_channel", kDefaultChannel},
        {"rate_limit", {{"per_second", 5000}, {"burst", 5000}}}}},
      {"delivery", {{"threads", 4}}},
      {"platforms",
       {{"generic", {{"secret", kGenericSecret}, {"reply_url", receiver.url() + "/replies"}}}}}};
  WriteFile(dir.File("c.json"), config.dump());
  const std::vector<std::string> args = {"serve", "--config", dir.File("c.json"), "--log-level",
                                         "warn"};
  auto server = std::make_unique<DuplexProcess>(args, dir.path().string());
  REQUIRE(WaitUntil([&] { return Healthy(port); }, 10'000));

  Shared shared;
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      HttplibClient http;
      for (int n = 0; !stop; ++n) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(n);
        std::string conversation = "conv-" + std::to_string(t) + "-" + std::to_string(n % 40);
        // Like a platform: resend until acknowledged (each resend is a duplicate for duplex).
        for (int attempt = 0; attempt < 200 && !stop; ++attempt) {
          HttpResult r = SignedMention(http, port, id, conversation);
          if (r.ok() && r.response.status == 200) {
            std::lock_guard lock(shared.mu);
            shared.acked.insert(id);
            shared.acked_count++;
            break;
          }
          // A platform's resend delay (the server may be down for a restart), not a wait.
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  std::thread replier([&] {
    HttplibClient http;
    std::mt19937 rng(11);
    const RE2 queued(R"(Queued reply to #\d+ on \w+ \(delivery (\d+)\))");
    // Replies keep pace with the mentions: one for every few acknowledged, none while the
    // server is down.
    for (int k = 0, known = 1; !stop; ++k) {
      WaitUntil([&] { return stop || shared.acked_count.load() >= known + 4; }, 60'000);
      known = shared.acked_count.load();
      if (stop) break;
      // Conversation refs are 1..N; the low ones certainly exist once mentions are acked.
      int ref = 1 + static_cast<int>(rng() % static_cast<unsigned>(std::max(1, known / 4)));
      std::string text = "reply-" + std::to_string(k);
      HttpResult r = SignedCommand(http, port, "reply " + std::to_string(ref) + " " + text,
                                   "trig-" + std::to_string(k));
      if (r.ok() && r.response.status == 200) {
        std::string answer = json::parse(r.response.body, nullptr, false).value("text", "");
        long long delivery = 0;
        if (RE2::PartialMatch(answer, queued, &delivery)) {
          std::lock_guard lock(shared.mu);
          shared.queued[text] = delivery;
        }
      }
    }
  });

  std::mt19937 rng(7);
  int kills = 0;
  auto until = std::chrono::steady_clock::now() +
               std::chrono::seconds(getenv("CRASH_SECONDS") ? atoi(getenv("CRASH_SECONDS")) : 25);
  const bool no_kill = getenv("CRASH_NOKILL") != nullptr;
  while (std::chrono::steady_clock::now() < until) {
    // The random moment of the next kill is the test's input, not a wait for something.
    std::this_thread::sleep_for(std::chrono::milliseconds(800 + rng() % 2000));
    if (no_kill) continue;
    server->Signal(SIGKILL, 5000);
    ++kills;
    server = std::make_unique<DuplexProcess>(args, dir.path().string());
    REQUIRE(WaitUntil([&] { return Healthy(port); }, 10'000));
  }
  stop = true;
  for (auto& s : senders) s.join();
  replier.join();

  // Let the last run drain its outbox (notices of unknown replies included), then stop it.
  CHECK(WaitOutboxDrained(port, 60'000));
  CHECK(server->Signal(SIGTERM) == 0);
  if (getenv("CRASH_LOGS")) std::cout << server->Stderr().substr(0, 6000) << "\n";
  if (getenv("CRASH_KEEP") && !database.postgres())
    std::filesystem::copy_file(database.config(), getenv("CRASH_KEEP"),
                               std::filesystem::copy_options::overwrite_existing);
  if (getenv("CRASH_KEEP")) {
    std::ofstream out(std::string(getenv("CRASH_KEEP")) + ".posts");
    for (const auto& p : slack.Posts()) out << p.dump() << "\n";
  }

  // Every acknowledged mention reached Slack at least once.
  std::map<std::string, int> posted;
  const RE2 marker("crash-marker:([^:]+):end");
  std::size_t mention_posts = 0;
  for (const auto& p : slack.Posts()) {
    // Mention cards only: a reply's confirmation quotes the message it answered.
    if (!p.contains("blocks")) continue;
    std::string text = p.value("text", "");
    std::string id;
    if (RE2::PartialMatch(text, marker, &id)) {
      posted[id]++;
      ++mention_posts;
    }
  }
  std::size_t lost = 0, duplicates = 0;
  for (const auto& id : shared.acked) {
    if (posted[id] == 0) ++lost;
  }
  for (const auto& [id, n] : posted) duplicates += static_cast<std::size_t>(std::max(0, n - 1));

  // Notices of replies whose outcome is unknown, by the delivery id they offer to retry.
  const RE2 retry_offer(R"(/duplex retry (\d+)`)");
  std::multimap<std::int64_t, json> unknown_notices;
  for (const auto& p : slack.Posts()) {
    const std::string text = p.value("text", "");
    long long id = 0;
    if (text.find("may or may not have been posted") != std::string::npos &&
        RE2::PartialMatch(text, retry_offer, &id)) {
      unknown_notices.emplace(id, p);
    }
  }

  // No reply reached the platform twice; each queued reply arrived or is flagged unknown, in
  // the store (read through duplex's own store, the server being stopped) and in its thread.
  auto store = database.Open();
  std::size_t replies_twice = 0, replies_delivered = 0, replies_unknown = 0, replies_missing = 0;
  std::size_t unknown_unflagged = 0;
  {
    std::lock_guard lock(replies_mu);
    for (const auto& [text, n] : reply_counts) {
      if (n > 1) ++replies_twice;
    }
    for (const auto& [text, delivery] : shared.queued) {
      int n = reply_counts.count(text) ? reply_counts[text] : 0;
      auto stored = store->GetDelivery(delivery);
      REQUIRE(stored.ok());
      const std::string state = stored->has_value() ? ToString((*stored)->state) : "missing";
      if (n == 1) {
        ++replies_delivered;
      } else if (state == "unknown") {
        ++replies_unknown;
        auto conversation = store->GetConversation((*stored)->conversation_id);
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
          ++unknown_unflagged;
          MESSAGE("reply " << text << " (delivery " << delivery << ") is unknown, but no notice "
                           << "in its thread quotes it");
        }
      } else {
        ++replies_missing;
        MESSAGE("reply " << text << " (delivery " << delivery << ") state " << state << ", arrived "
                         << n);
      }
    }
  }
  std::cout << "crash test: kills=" << kills << " acked_mentions=" << shared.acked.size()
            << " mention_posts=" << mention_posts << " lost=" << lost
            << " duplicate_posts=" << duplicates << " ("
            << (mention_posts
                    ? 100.0 * static_cast<double>(duplicates) / static_cast<double>(mention_posts)
                    : 0)
            << "%) replies_queued=" << shared.queued.size()
            << " replies_delivered=" << replies_delivered << " replies_unknown=" << replies_unknown
            << " (unflagged " << unknown_unflagged << ") replies_twice=" << replies_twice << "\n";
  CHECK(kills >= 5);
  CHECK(shared.acked.size() > 500);
  CHECK(lost == 0);
  CHECK(replies_twice == 0);
  CHECK(replies_missing == 0);
  CHECK(unknown_unflagged == 0);
  CHECK(static_cast<double>(duplicates) < 0.01 * static_cast<double>(mention_posts));
}

}  // namespace duplex::test
