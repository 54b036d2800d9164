// Limits at the HTTP edge, against the real server on loopback: headers, slow senders,
// oversized heads, the bounded connection queue, idle keep-alive connections, per-address
// connection caps and the per-source rate limit on /webhooks/. Time bounds here are generous
// (seconds) and only tell "answered at once" from "stuck until some timeout".
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "security/signatures.h"
#include "support/e2e_env.h"
#include "support/raw_socket.h"

namespace duplex::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

HttpResult Healthz(E2eEnv& env, int timeout_ms = 8000) {
  HttpRequest r;
  r.method = "GET";
  r.url = env.base_url() + "/healthz";
  r.timeout_ms = timeout_ms;
  return env.Send(r);
}

std::string Status(const std::string& raw) {
  return raw.substr(0, raw.find("\r\n"));
}

// The value of one metric line ("name{labels}"), or -1 if it is not there.
double Metric(E2eEnv& env, const std::string& series) {
  const std::string body = env.Get("/metrics").response.body;
  std::size_t at = body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

// A signed generic webhook with extra headers.
HttpRequest SignedWebhook(E2eEnv& env, const std::string& id, HeaderList extra = {}) {
  std::string body = E2eEnv::GenericMention("m-" + id, "c-" + id, "hello").dump();
  std::string ts = std::to_string(SystemClock().NowSeconds());
  HttpRequest r;
  r.url = env.base_url() + "/webhooks/generic";
  r.body = body;
  r.headers = {{"webhook-id", id},
               {"webhook-timestamp", ts},
               {"webhook-signature", security::SignStandardWebhook(kGenericSecret, id, ts, body)}};
  for (auto& h : extra) r.headers.push_back(h);
  return r;
}

}  // namespace

TEST_CASE(
    "limits: a header line over 8 KiB gets 400, a request line over 8 KiB 414, and the server goes "
    "on") {
  E2eEnv env;
  RawSocket big(env.app().port());
  big.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
  CHECK(Status(big.Read(5000, "\r\n")) == "HTTP/1.1 400 Bad Request");
  RawSocket uri(env.app().port());
  uri.Send("GET /healthz?" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(Status(uri.Read(5000, "\r\n")) == "HTTP/1.1 414 URI Too Long");
  CHECK(Healthz(env).response.status == 200);
}

TEST_CASE(
    "limits: too many headers, or too many header bytes, get 431 and the connection is closed") {
  E2eEnv env(json{{"listen", {{"max_headers", 50}, {"max_header_bytes", 16384}}}});
  std::string many = "POST /webhooks/generic HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 60; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  RawSocket a(env.app().port());
  a.Send(many + "Content-Length: 2\r\n\r\n{}");
  std::string answer = a.Read(5000, "}");
  CHECK(Status(answer) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(answer.find("{\"error\":\"too many or too large request headers\"}") != std::string::npos);
  CHECK(a.WaitClosed(5000));

  std::string heavy = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 3; ++i)
    heavy += "X-Heavy" + std::to_string(i) + ": " + std::string(7000, 'h') + "\r\n";
  RawSocket b(env.app().port());
  b.Send(heavy + "\r\n");
  CHECK(Status(b.Read(5000, "\r\n")) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(Healthz(env).response.status == 200);
}

TEST_CASE(
    "limits: a head that never ends is cut off after the byte cap, not buffered without end") {
  E2eEnv env(json{{"listen", {{"max_body_bytes", 4096}}}});
  RawSocket s(env.app().port());
  REQUIRE(s.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: "));
  const std::string chunk(64 * 1024, 'e');
  std::size_t sent = 0;
  const auto start = Clock::now();
  // Paced so the loopback cannot outrun the check: about 64 MB/s at most.
  while (sent < (64u << 20) && SecondsSince(start) < 20 && s.Send(chunk)) {
    sent += chunk.size();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the pace, not a wait
  }
  MESSAGE("sent ", sent / 1024, " KiB before the server cut the connection");
  CHECK(sent < (64u << 20));
  CHECK(Healthz(env).response.status == 200);
  CHECK(Metric(env, "duplex_http_connections_refused_total{reason=\"too_large\"}") == 1);
}

TEST_CASE("limits: slow senders are cut off at the request deadline and cannot hold the threads") {
  E2eEnv env(
      json{{"listen",
            {{"threads", 4}, {"request_timeout_seconds", 2}, {"max_connections_per_source", 0}}}});
  std::vector<std::unique_ptr<RawSocket>> slow;
  // No connection can be cut before its deadline, 2 s after it was accepted.
  const auto first_connect = Clock::now();
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<RawSocket>(env.app().port(), "127.0.0.2"));
    REQUIRE(slow.back()->Send("POST /webhooks/generic HTTP/1.1\r\nHost: x\r\n"));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> cut{0};
  std::thread trickle([&] {
    std::vector<bool> open(slow.size(), true);
    const auto start = Clock::now();
    while (!stop && SecondsSince(start) < 15) {
      for (std::size_t i = 0; i < slow.size(); ++i) {
        if (open[i] && !slow[i]->Send("X")) {
          open[i] = false;
          ++cut;
        }
      }
      // The pace, not a wait: a byte every 200 ms, never idle and never done.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  // The four were accepted before this connection (one listening socket, served in accept
  // order), so they hold all four threads: it is served only once the server cuts one.
  const auto start = Clock::now();
  auto res = Healthz(env, 10'000);
  const double waited = SecondsSince(start);
  CHECK(res.response.status == 200);
  CHECK(SecondsSince(first_connect) >= 1.95);  // behind the trickling connections, not before
  CHECK(waited < 8.0);
  CHECK(WaitUntil([&] { return cut == 4; }, 8000));
  stop = true;
  trickle.join();
  MESSAGE("a normal request waited ", waited, " s behind 4 trickling connections on 4 threads");
  CHECK(Metric(env, "duplex_http_connections_refused_total{reason=\"timeout\"}") == 4);
}

TEST_CASE(
    "limits: one address holds at most max_connections_per_source connections and others are "
    "served") {
  E2eEnv env(
      json{{"listen",
            {{"threads", 8}, {"max_connections_per_source", 3}, {"request_timeout_seconds", 30}}}});
  // 127.0.0.1 (the default trusted proxy, uncapped) serves the normal request below.
  std::vector<std::unique_ptr<RawSocket>> held;
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    held.push_back(std::make_unique<RawSocket>(env.app().port(), "127.0.0.3"));
  }
  // A refusal is counted after its 503 is written: once three are counted, every answer is in.
  CHECK(WaitUntil([&] {
    return Metric(env, "duplex_http_connections_refused_total{reason=\"overloaded\"}") == 3;
  }));
  for (auto& s : held) {
    if (Status(s->Read(300, "\r\n")) == "HTTP/1.1 503 Service Unavailable") ++refused;
  }
  CHECK(refused == 3);
  const auto start = Clock::now();
  CHECK(Healthz(env).response.status == 200);
  CHECK(SecondsSince(start) < 3.0);
}

TEST_CASE("limits: a full connection queue answers 503 at once, leaks no socket, and recovers") {
  E2eEnv env(json{{"listen",
                   {{"threads", 2},
                    {"max_queued_connections", 1},
                    {"max_connections_per_source", 0},
                    {"request_timeout_seconds", 30}}}});
  const int fds_idle = OpenFileCount();
  std::vector<std::unique_ptr<RawSocket>> silent;
  for (int i = 0; i < 3; ++i) {  // two hold the threads, one waits in the queue
    silent.push_back(std::make_unique<RawSocket>(env.app().port(), "127.0.0.4"));
  }
  // Counted once the server holds them all: 3 client ends, 3 accepted sockets and the watch
  // descriptors of the 2 being served.
  REQUIRE(WaitUntil([&] { return OpenFileCount() >= fds_idle + 8; }));
  const int fds_before = OpenFileCount();
  const auto start = Clock::now();
  auto res = Healthz(env);
  CHECK(SecondsSince(start) < 3.0);
  CHECK(res.response.status == 503);
  CHECK(res.response.Header("Retry-After") == "1");
  CHECK(res.response.body == "{\"error\":\"overloaded, try again later\"}");
  for (int i = 0; i < 50; ++i) {
    RawSocket s(env.app().port());
    s.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(Status(s.Read(3000, "\r\n")) == "HTTP/1.1 503 Service Unavailable");
  }
  // Every refused socket is closed once its client is done (the lingering read ends).
  CHECK(WaitUntil([&] { return OpenFileCount() <= fds_before; }, 5000));
  CHECK(env.Get("/metrics").response.status == 503);  // still full
  silent.clear();
  CHECK(WaitUntil([&] { return Healthz(env, 2000).response.status == 200; }, 5000));
  CHECK(Metric(env, "duplex_http_connections_refused_total{reason=\"overloaded\"}") >= 52);
}

TEST_CASE("limits: idle keep-alive connections give their thread up when others wait") {
  E2eEnv env(
      json{{"listen",
            {{"threads", 2}, {"max_queued_connections", 8}, {"max_connections_per_source", 0}}}});
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 2; ++i) {
    idle.push_back(std::make_unique<RawSocket>(env.app().port(), "127.0.0.5"));
    idle.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(Status(idle.back()->Read(3000, "}")) == "HTTP/1.1 200 OK");
  }
  // Both threads now wait on idle keep-alive connections (cpp-httplib would keep them 5 s).
  const auto start = Clock::now();
  CHECK(Healthz(env).response.status == 200);
  const double waited = SecondsSince(start);
  MESSAGE("waited ", waited, " s behind 2 idle keep-alive connections on 2 threads");
  CHECK(waited < 3.0);
  // The thread it got was given up by an idle connection, closed for it. Only as many give
  // theirs up as others wait for: once the waiting request has its thread, the other idle
  // connection may stay until its keep-alive ends (on a slow machine its quarter-second of
  // grace may not have run out before the waiting request was taken).
  CHECK(WaitUntil([&] { return idle[0]->WaitClosed(50) || idle[1]->WaitClosed(50); }, 3000));
}

TEST_CASE(
    "limits: webhooks are rate limited per client address with 429 and Retry-After but healthz "
    "never") {
  // Loopback is a trusted proxy by default (and so not limited): this test's client is not.
  E2eEnv env(json{{"listen",
                   {{"rate_limit_per_source", {{"per_second", 0.2}, {"burst", 3}}},
                    {"trusted_proxies", json::array()}}}});
  for (int i = 0; i < 3; ++i)
    CHECK(env.Send(SignedWebhook(env, "w" + std::to_string(i))).response.status == 200);
  auto limited = env.Send(SignedWebhook(env, "w3"));
  CHECK(limited.response.status == 429);
  CHECK(limited.response.Header("Retry-After") == "5");
  CHECK(limited.response.body == "{\"error\":\"too many requests from this address\"}");
  // X-Forwarded-For from a peer that is not a trusted proxy changes nothing.
  CHECK(env.Send(SignedWebhook(env, "w4", {{"X-Forwarded-For", "203.0.113.7"}})).response.status ==
        429);
  for (int i = 0; i < 20; ++i) CHECK(env.Get("/healthz").response.status == 200);
  CHECK(env.SlackCommand("help").response.status == 200);  // only /webhooks/ is limited
  CHECK_FALSE(env.app().store().GetConversation(4)->has_value());
  CHECK(Metric(env, "duplex_http_requests_total{path=\"/webhooks/*\",status=\"429\"}") == 2);
}

TEST_CASE("limits: behind a trusted proxy each forwarded client has its own bucket") {
  E2eEnv env(json{{"listen",
                   {{"rate_limit_per_source", {{"per_second", 0.2}, {"burst", 2}}},
                    {"trusted_proxies", {"127.0.0.0/8"}}}}});
  const HeaderList ana = {{"X-Forwarded-For", "198.51.100.9, 203.0.113.5"}};
  CHECK(env.Send(SignedWebhook(env, "a1", ana)).response.status == 200);
  CHECK(env.Send(SignedWebhook(env, "a2", ana)).response.status == 200);
  CHECK(env.Send(SignedWebhook(env, "a3", ana)).response.status == 429);
  // A forged left-hand entry does not buy a fresh bucket: the proxy appended the real address.
  CHECK(env.Send(SignedWebhook(env, "a4", {{"X-Forwarded-For", "192.0.2.1, 203.0.113.5"}}))
            .response.status == 429);
  CHECK(env.Send(SignedWebhook(env, "b1", {{"X-Forwarded-For", "203.0.113.6"}})).response.status ==
        200);
  // The proxy's own requests (no header) are not limited.
  for (int i = 0; i < 4; ++i)
    CHECK(env.Send(SignedWebhook(env, "p" + std::to_string(i))).response.status == 200);
}

}  // namespace duplex::test
