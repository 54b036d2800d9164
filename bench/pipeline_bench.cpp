// Pipeline benchmark (issue 8): how long a mention takes from webhook to chat, and how fast
// a backlog drains when the chat comes back.
//
//   build/bench/pipeline_bench [--rate R] [--seconds S] [--backlog N]
//
// End to end: one signed generic webhook every 1/R s for S s; the time from sending it to
// the fake Slack receiving its chat.postMessage (both clocks in this process). Baselines in
// the same run, same sender: the bare server's round trip, and the bare server as a relay
// (each webhook forwarded as one chat.postMessage on a new connection before the 200,
// nothing stored) — the least any webhook-to-chat bridge does.
//
// Backlog drain: with the fake Slack holding every post unanswered (unreachable), N signed
// webhooks are acknowledged; then Slack answers again and the posts are timed. Measured
// against the configured chat rate limit (raised from Slack's 1/s to 200/s, as an operator
// does for a chat server that allows it) and, with the limit at its maximum, against what
// the fake Slack takes from 4 clients (duplex's delivery threads) posting with duplex's
// own HTTP client in a loop.
// Progress goes to stderr; the Markdown for bench/README.md goes to stdout.
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "app/httplib_client.h"
#include "bench_support.h"

#ifndef DUPLEX_BINARY
#error "DUPLEX_BINARY must name the duplex executable"
#endif
#ifndef BARE_SERVER_BINARY
#error "BARE_SERVER_BINARY must name the bare_server executable"
#endif

namespace duplex::bench {
namespace {

using Clock = std::chrono::steady_clock;

void Log(const std::string& s) {
  std::fprintf(stderr, "%s\n", s.c_str());
  std::fflush(stderr);
}

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Latencies {
  std::vector<double> round_trip_ms;  // webhook sent → 200 received
  std::vector<double> to_chat_ms;     // webhook sent → chat.postMessage received
  int failures = 0;
};

// Sends `count` webhooks at `rate` per second to `port`, one connection kept alive; the
// fake Slack's arrival times give the time to chat (when `slack` is set).
Latencies Paced(int port, int count, double rate, const std::string& tag, const FakeSlack* slack) {
  httplib::Client client("127.0.0.1", port);
  client.set_tcp_nodelay(true);
  client.set_keep_alive(true);
  client.set_read_timeout(10, 0);
  Latencies out;
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(count));
  const auto start = Clock::now();
  const std::int64_t now_s = static_cast<std::int64_t>(std::time(nullptr));
  for (int i = 0; i < count; ++i) {
    // Each conversation gets four messages, as in the ingest benchmark.
    SignedWebhook w =
        SignGeneric(tag + "-" + std::to_string(i), tag + "-c" + std::to_string(i / 4),
                    "@acme where is my parcel? (bench-" + std::to_string(i) + ")", now_s);
    httplib::Headers headers = {{"webhook-id", w.id},
                                {"webhook-timestamp", w.timestamp},
                                {"webhook-signature", w.signature}};
    std::this_thread::sleep_until(start +
                                  std::chrono::microseconds(static_cast<long>(i * 1e6 / rate)));
    sent[static_cast<std::size_t>(i)] = Clock::now();
    auto res = client.Post("/webhooks/generic", headers, w.body, "application/json");
    if (!res || res->status != 200) {
      out.failures++;
      continue;
    }
    out.round_trip_ms.push_back(Ms(Clock::now() - sent[static_cast<std::size_t>(i)]));
  }
  if (slack) {
    slack->WaitForPosts(static_cast<std::size_t>(count), 30'000);
    for (const auto& [n, at] : slack->Arrivals()) {
      if (n >= 0 && n < count) out.to_chat_ms.push_back(Ms(at - sent[static_cast<std::size_t>(n)]));
    }
  }
  return out;
}

// Acknowledged webhooks per second from `threads` senders, `count` in all, distinct conversations.
double Flood(int port, int count, int threads, const std::string& tag) {
  std::atomic<int> next{0}, failed{0};
  const std::int64_t now_s = static_cast<std::int64_t>(std::time(nullptr));
  const auto start = Clock::now();
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_tcp_nodelay(true);
      client.set_keep_alive(true);
      client.set_read_timeout(10, 0);
      for (int i = next++; i < count; i = next++) {
        SignedWebhook w =
            SignGeneric(tag + "-" + std::to_string(i), tag + "-c" + std::to_string(i),
                        "@acme this is broken again (bench-" + std::to_string(i) + ")", now_s);
        httplib::Headers headers = {{"webhook-id", w.id},
                                    {"webhook-timestamp", w.timestamp},
                                    {"webhook-signature", w.signature}};
        auto res = client.Post("/webhooks/generic", headers, w.body, "application/json");
        if (!res || res->status != 200) failed++;
      }
    });
  }
  for (auto& s : senders) s.join();
  if (failed > 0) Log("flood: " + std::to_string(failed.load()) + " webhooks not acknowledged");
  return count / std::chrono::duration<double>(Clock::now() - start).count();
}

// chat.postMessage calls per second the fake Slack answers to `clients` loops using duplex's
// HTTP client (a new connection per call, as duplex posts).
double SlackCapacity(const FakeSlack& slack, int clients, double seconds) {
  std::atomic<long> done{0};
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
  std::vector<std::thread> loops;
  for (int c = 0; c < clients; ++c) {
    loops.emplace_back([&] {
      HttplibClient http;
      HttpRequest req;
      req.url = slack.api_base() + "/chat.postMessage";
      req.body = R"({"channel":"C0SOCIAL","text":"capacity probe","blocks":[]})";
      req.headers = {{"Authorization", "Bearer xoxb-bench-token"}};
      while (Clock::now() < until) {
        if (http.Send(req).ok()) done++;
      }
    });
  }
  for (auto& l : loops) l.join();
  return static_cast<double>(done.load()) / seconds;
}

struct Drain {
  double queue_rps = 0;  // webhooks acknowledged per second while Slack was down
  double rate = 0;       // posts per second, 10%..90% of the backlog
  double total_s = 0;    // release → last post
  std::size_t delivered = 0;
};

Drain RunDrain(const TempDir& tmp, const std::string& name, double per_second, double burst,
               int backlog) {
  FakeSlack slack;
  slack.Hold();
  const std::string dir = tmp.File(name);
  std::filesystem::create_directories(dir);
  const int port = FreePort();
  auto config = DuplexConfig(dir, port, slack.api_base());
  config["chat"]["rate_limit"] = {{"per_second", per_second}, {"burst", burst}};
  auto duplex = StartDuplex(DUPLEX_BINARY, dir, config);
  Drain d;
  d.queue_rps = Flood(port, backlog, 8, name);
  const auto released = Clock::now();
  slack.Release();
  slack.WaitForPosts(static_cast<std::size_t>(backlog), 120'000);
  auto times = slack.ArrivalTimes();
  d.delivered = times.size();
  std::sort(times.begin(), times.end());
  if (times.size() >= 10) {
    const std::size_t lo = times.size() / 10, hi = times.size() * 9 / 10;
    d.rate =
        static_cast<double>(hi - lo) / std::chrono::duration<double>(times[hi] - times[lo]).count();
    d.total_s = std::chrono::duration<double>(times.back() - released).count();
  }
  duplex->Stop();
  std::filesystem::remove_all(dir);
  return d;
}

}  // namespace
}  // namespace duplex::bench

int main(int argc, char** argv) {
  using namespace duplex::bench;
  double rate = 20;
  double seconds = 10;
  int backlog = 3000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--rate") {
      rate = std::atof(argv[i + 1]);
    } else if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--backlog") {
      backlog = std::atoi(argv[i + 1]);
    }
  }
  const int count = static_cast<int>(rate * seconds);
  const std::string load_before = LoadAverage();
  TempDir tmp;

  // --- End to end ---
  Latencies bare_rtt, relay, duplex;
  {
    FakeSlack slack;
    const int port = FreePort();
    Child bare({BARE_SERVER_BINARY, "--port", std::to_string(port), "--keep-alive-max", "100",
                "--relay", slack.api_base()},
               tmp.File("bare.log"));
    WaitForHttp(port, "/healthz");
    relay = Paced(port, count, rate, "relay", &slack);
    bare.Stop();
  }
  {
    const int port = FreePort();
    Child bare({BARE_SERVER_BINARY, "--port", std::to_string(port), "--keep-alive-max", "100"},
               tmp.File("bare.log"));
    WaitForHttp(port, "/healthz");
    bare_rtt = Paced(port, count, rate, "bare", nullptr);
    bare.Stop();
  }
  {
    FakeSlack slack;
    const std::string dir = tmp.File("e2e");
    std::filesystem::create_directories(dir);
    const int port = FreePort();
    auto config = DuplexConfig(dir, port, slack.api_base());
    // Above the sending rate, so the limiter never holds a post back: this is latency, not pacing.
    config["chat"]["rate_limit"] = {{"per_second", rate * 2.5}, {"burst", 10}};
    auto child = StartDuplex(DUPLEX_BINARY, dir, config);
    duplex = Paced(port, count, rate, "e2e", &slack);
    child->Stop();
  }
  Log("end to end: " + std::to_string(duplex.to_chat_ms.size()) + " of " + std::to_string(count) +
      " posts timed, " + std::to_string(duplex.failures) + " webhooks failed");

  // --- Backlog drain ---
  const double limited = 200;
  Drain at_limit = RunDrain(tmp, "drain-limited", limited, 20, backlog);
  Log("drain at " + Fixed(limited, 0) + "/s: " + Fixed(at_limit.rate, 1) + " posts/s, " +
      std::to_string(at_limit.delivered) + " delivered in " + Fixed(at_limit.total_s, 1) + " s");
  Drain unlimited = RunDrain(tmp, "drain-unlimited", 10'000, 1000, backlog);
  Log("drain at 10,000/s: " + Fixed(unlimited.rate, 1) + " posts/s, " +
      std::to_string(unlimited.delivered) + " delivered in " + Fixed(unlimited.total_s, 1) + " s");
  double capacity = 0;
  {
    FakeSlack slack;
    capacity = SlackCapacity(slack, 4, 2.0);
  }
  Log("fake Slack capacity with 4 clients: " + Fixed(capacity, 0) + " posts/s");
  const std::string load_after = LoadAverage();

  // --- Markdown ---
  auto p = [](std::vector<double> v, double q) { return Percentile(v, q); };
  const double relay50 = p(relay.to_chat_ms, 50), relay99 = p(relay.to_chat_ms, 99);
  const std::string machine = "`nproc` = " + std::to_string(Cores()) + " · " + CpuModel() + " · " +
                              MemTotal() + " RAM · load average " + load_before + " before, " +
                              load_after + " after";
  std::printf("@@section end-to-end\n");
  std::printf(
      "Run %s · %s · %d webhooks at %.0f/s on one kept-alive connection; duplex's chat rate limit "
      "%.0f/s, above the sending rate\n\n",
      Today().c_str(), machine.c_str(), count, rate, rate * 2.5);
  std::printf(
      "| path | p50 ms | p99 ms | **p50 vs relay** | p99 vs relay | timed "
      "|\n|---|---:|---:|---:|---:|---:|\n");
  auto row = [&](const char* name, std::vector<double> v) {
    std::printf("| %s | %.2f | %.2f | **%.2f** | %.2f | %zu |\n", name, p(v, 50), p(v, 99),
                p(v, 50) / relay50, p(v, 99) / relay99, v.size());
  };
  row("bare server: webhook round trip (no chat)", bare_rtt.round_trip_ms);
  row("bare relay: webhook → chat.postMessage (baseline)", relay.to_chat_ms);
  row("duplex: webhook round trip (committed)", duplex.round_trip_ms);
  row("duplex: webhook → chat.postMessage", duplex.to_chat_ms);
  std::printf("@@section drain\n");
  std::printf(
      "Run %s · %s · a backlog of %s mentions (distinct conversations), one channel, 4 delivery "
      "threads\n\n",
      Today().c_str(), machine.c_str(), Thousands(backlog).c_str());
  std::printf(
      "| chat rate limit | queued at /s | drain posts/s | baseline | baseline posts/s | **ratio** "
      "| all posted after s |\n");
  std::printf("|---:|---:|---:|---|---:|---:|---:|\n");
  std::printf("| %s/s | %s | %s | the configured limit | %s | **%.2f** | %.1f |\n",
              Thousands(limited).c_str(), Thousands(at_limit.queue_rps).c_str(),
              Fixed(at_limit.rate, 1).c_str(), Thousands(limited).c_str(), at_limit.rate / limited,
              at_limit.total_s);
  std::printf("| 10,000/s | %s | %s | fake Slack, 4 clients | %s | **%.2f** | %.1f |\n",
              Thousands(unlimited.queue_rps).c_str(), Fixed(unlimited.rate, 1).c_str(),
              Thousands(capacity).c_str(), unlimited.rate / capacity, unlimited.total_s);
  return 0;
}
