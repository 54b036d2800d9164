// The HTTP edge against request smuggling and decompression bombs, over raw sockets: a body
// is never inflated, a refused request's unread bytes are never read as another request, and
// framing that cpp-httplib would read differently from a proxy in front of duplex is refused
// before the body. "Closed" means the client reads end of stream right after one answer.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/httplib_client.h"
#include "core/clock.h"
#include "security/signatures.h"
#include "support/e2e_env.h"
#include "support/process.h"
#include "support/raw_socket.h"
#include "support/tls_cert.h"

namespace duplex::test {
namespace {

using nlohmann::json;

constexpr char kHealthz[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

struct Exchange {
  std::string bytes;  // everything the server sent
  bool closed = false;
  int answers = 0;
  std::string Status() const { return bytes.substr(0, bytes.find("\r\n")); }
};

// Sends `request` on a fresh connection and reads its answer. With `after`, then sends that
// on the same connection, as the next request would be, and reads until the server closes or
// answers it. Sending `after` only once the answer is in makes sure the server has it to read.
Exchange Talk(int port, const std::string& request, const std::string& after = "") {
  RawSocket s(port);
  s.Send(request);
  Exchange e;
  e.bytes = s.Read(5000, "}");  // every answer here has a JSON body
  if (!after.empty()) {
    s.Send(after);
    e.bytes += s.Read(5000, "}");
  }
  e.closed = s.peer_closed();
  e.answers = Count(e.bytes, "HTTP/1.1 ");
  return e;
}

// One answer with `status` (and the error `reason`), Connection: close, then end of stream.
void ExpectRefused(int port, const std::string& request, const std::string& status,
                   const std::string& reason = "") {
  Exchange e = Talk(port, request, kHealthz);
  CHECK(e.Status() == status);
  if (!reason.empty()) CHECK(e.bytes.find("{\"error\":\"" + reason + "\"}") != std::string::npos);
  CHECK(e.bytes.find("Connection: close\r\n") != std::string::npos);
  CHECK(e.answers == 1);
  CHECK(e.closed);
}

std::string Chunked(const std::string& body, std::size_t piece = 1000) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); i += piece) {
    const std::string part = body.substr(i, piece);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

// A signed generic mention as raw HTTP; `framing` replaces the Content-Length line.
std::string SignedMention(const std::string& id, const std::string& framing = "") {
  const std::string body = E2eEnv::GenericMention("m-" + id, "c-" + id, "hello").dump();
  const std::string ts = std::to_string(SystemClock().NowSeconds());
  std::string head = "POST /webhooks/generic HTTP/1.1\r\nHost: x\r\n";
  head += "Content-Type: application/json\r\n";
  head += "webhook-id: " + id + "\r\n";
  head += "webhook-timestamp: " + ts + "\r\n";
  head +=
      "webhook-signature: " + security::SignStandardWebhook(kGenericSecret, id, ts, body) + "\r\n";
  if (!framing.empty()) return head + framing;
  return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A POST of `body` with `headers` (lines ending in CRLF) and a Content-Length.
std::string RawPost(const std::string& path, const std::string& headers, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string FormPost(const std::string& path, const std::string& headers) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" +
         "Content-Type: application/x-www-form-urlencoded\r\n" + headers + "\r\n";
}

// Sends `bytes` as one TLS record on a fresh connection to 127.0.0.1:`port` (the certificate
// is not checked) and reads until the server closes or `until` appears, at most 5 s.
Exchange TlsTalk(int port, const std::string& bytes, const std::string& until = "") {
  Exchange e;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      SSL_set_fd(ssl.get(), fd) == 1 && SSL_connect(ssl.get()) == 1 &&
      SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size())) > 0) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    char buf[4096];
    while (until.empty() || e.bytes.find(until) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            end - std::chrono::steady_clock::now())
                            .count();
      pollfd p{fd, POLLIN, 0};
      if (left <= 0 || (SSL_pending(ssl.get()) == 0 && poll(&p, 1, static_cast<int>(left)) <= 0))
        break;
      const int n = SSL_read(ssl.get(), buf, sizeof buf);
      if (n <= 0) {
        e.closed = true;
        break;
      }
      e.bytes.append(buf, static_cast<std::size_t>(n));
    }
  }
  ssl.reset();
  close(fd);
  e.answers = Count(e.bytes, "HTTP/1.1 ");
  return e;
}

// The value of one metric line ("name{labels}"), or -1 if it is not there.
double Metric(E2eEnv& env, const std::string& series) {
  const std::string body = env.Get("/metrics").response.body;
  const std::size_t at = body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

// `bytes` of zeros, compressed by cpp-httplib's own compressors (the library duplex links).
std::string Bomb(httplib::detail::compressor& c, std::size_t bytes) {
  const std::string zeros(1 << 20, '\0');
  std::string out;
  auto append = [&](const char* data, std::size_t n) {
    out.append(data, n);
    return true;
  };
  for (std::size_t done = 0; done < bytes; done += zeros.size())
    c.compress(zeros.data(), zeros.size(), false, append);
  c.compress(nullptr, 0, true, append);
  return out;
}

// VmHWM (peak resident set) of process `pid`, in MiB.
long PeakMiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

}  // namespace

TEST_CASE(
    "http edge: 20 gzip bombs get 415 before a byte is inflated, each connection closes, and the "
    "server's peak memory stays near idle (deflate, br, GET and unknown paths too)") {
  TempDir dir;
  E2eDatabase database(dir);
  const int port = FreePort();
  json config = {
      {"listen", {{"host", "127.0.0.1"}, {"port", port}, {"threads", 8}}},
      {"database", database.config()},
      {"chat",
       {{"kind", "slack"},
        {"api_base", "http://127.0.0.1:9/api"},
        {"bot_token", kBotToken},
        {"signing_secret", kSigningSecret},
        {"team_id", kTeam},
        {"default_channel", kDefaultChannel}}},
      {"platforms",
       {{"generic", {{"secret", kGenericSecret}, {"reply_url", "http://127.0.0.1:9/r"}}}}}};
  WriteFile(dir.File("c.json"), config.dump());
  DuplexProcess server({"serve", "--config", dir.File("c.json"), "--log-level", "warn"},
                       dir.path().string());
  HttplibClient http;
  HttpRequest healthz;
  healthz.method = "GET";
  healthz.url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  healthz.timeout_ms = 1000;
  auto healthy = [&] { return http.Send(healthz).response.status == 200; };
  REQUIRE(WaitUntil(healthy, 10'000));
  const long idle = PeakMiB(server.pid());
  REQUIRE(idle > 0);

  httplib::detail::gzip_compressor gzip;
  const std::string gz = Bomb(gzip, std::size_t{512} << 20);
  httplib::detail::brotli_compressor brotli;  // slower to build: a smaller bomb does
  const std::string br = Bomb(brotli, std::size_t{64} << 20);
  MESSAGE("512 MiB of zeros in ", gz.size() / 1024, " KiB of gzip, 64 MiB in ", br.size(),
          " bytes of br; idle peak ", idle, " MiB");
  REQUIRE(gz.size() < (1u << 20));  // under max_body_bytes: only the inflated size is large

  auto expect_refused = [&](const std::string& request) {
    ExpectRefused(port, request, "HTTP/1.1 415 Unsupported Media Type",
                  "compressed request bodies are not accepted");
    REQUIRE(PeakMiB(server.pid()) < idle + 50);
  };
  for (int i = 0; i < 20; ++i)
    expect_refused(RawPost("/webhooks/generic", "Content-Encoding: gzip\r\n", gz));
  // cpp-httplib inflates "deflate" with the same zlib decoder (it detects the wrapping).
  expect_refused(RawPost("/chat/slack/commands",
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         "Content-Encoding: deflate\r\n",
                         gz));
  expect_refused(RawPost("/webhooks/generic", "Content-Encoding: br\r\n", br));
  expect_refused(RawPost("/no/such/path", "Content-Encoding: GZip\r\n", gz));
  expect_refused("GET /no/such/path HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n\r\n");
  expect_refused(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Encoding: identity\r\n"
      "Content-Encoding: gzip\r\n\r\n");
  MESSAGE("peak after 25 refusals: ", PeakMiB(server.pid()), " MiB");
  CHECK(healthy());
}

TEST_CASE("http edge: Content-Encoding identity, in any case, is an ordinary request") {
  E2eEnv env;
  Exchange e = Talk(env.app().port(),
                    "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Encoding: IDENTITY\r\n\r\n");
  CHECK(e.Status() == "HTTP/1.1 200 OK");
  const std::string mention = SignedMention("id-1");
  const std::size_t head_end = mention.find("\r\n\r\n");
  e = Talk(
      env.app().port(),
      mention.substr(0, head_end) + "\r\nContent-Encoding: identity" + mention.substr(head_end),
      kHealthz);
  CHECK(e.Status() == "HTTP/1.1 200 OK");
  CHECK(e.answers == 2);  // and the connection carries the next request
}

TEST_CASE(
    "http edge: a chunked form body over the limit gets one 413 and the connection closes, and the "
    "smuggled request in the same write is never answered") {
  E2eEnv env(json{{"listen", {{"max_body_bytes", 4096}}}});
  const int fds_before = OpenFileCount();
  const std::string body = "text=" + std::string(20'000, 'a');
  for (const char* path :
       {"/chat/slack/commands", "/chat/slack/interactions", "/webhooks/generic"}) {
    CAPTURE(path);
    RawSocket s(env.app().port());
    s.Send(FormPost(path, "Transfer-Encoding: chunked\r\n") + Chunked(body) + kHealthz);
    const std::string got = s.Read(5000);
    CHECK(s.peer_closed());
    CHECK(got.substr(0, got.find("\r\n")) == "HTTP/1.1 413 Payload Too Large");
    CHECK(got.find("{\"error\":\"request body too large\"}") != std::string::npos);
    CHECK(Count(got, "HTTP/1.1 ") == 1);
  }
  CHECK(WaitUntil([&] { return OpenFileCount() <= fds_before; }, 5000));  // nothing leaks
  CHECK(Metric(env, "duplex_http_requests_total{path=\"/chat/slack/commands\",status=\"413\"}") ==
        1);
}

TEST_CASE("http edge: every early refusal is one answer and then end of stream") {
  E2eEnv env(json{
      {"listen", {{"max_body_bytes", 4096}, {"max_headers", 20}, {"read_timeout_seconds", 1}}}});
  const int port = env.app().port();
  const std::string big(6000, 'a');
  SUBCASE("413: a declared length over the limit, form or JSON, and a chunked body past it") {
    ExpectRefused(port, FormPost("/chat/slack/commands", "Content-Length: 6000\r\n") + big,
                  "HTTP/1.1 413 Payload Too Large", "request body too large");
    ExpectRefused(port, SignedMention("big", "Content-Length: 6000\r\n\r\n" + big),
                  "HTTP/1.1 413 Payload Too Large", "request body too large");
    ExpectRefused(port, SignedMention("big", "Transfer-Encoding: chunked\r\n\r\n" + Chunked(big)),
                  "HTTP/1.1 413 Payload Too Large", "request body too large");
  }
  SUBCASE("413 for Expect: 100-continue comes instead of 100 Continue") {
    ExpectRefused(port,
                  SignedMention("big", "Expect: 100-continue\r\nContent-Length: 10000000\r\n\r\n"),
                  "HTTP/1.1 413 Payload Too Large", "request body too large");
  }
  SUBCASE("431") {
    std::string many = "POST /webhooks/generic HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 30; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    ExpectRefused(port, many + "Content-Length: 2\r\n\r\n{}",
                  "HTTP/1.1 431 Request Header Fields Too Large");
  }
  SUBCASE("429") {
    E2eEnv limited(json{{"listen",
                         {{"rate_limit_per_source", {{"per_second", 0.01}, {"burst", 1}}},
                          {"trusted_proxies", json::array()}}}});
    CHECK(Talk(limited.app().port(), SignedMention("r1")).Status() == "HTTP/1.1 200 OK");
    ExpectRefused(limited.app().port(), SignedMention("r2"), "HTTP/1.1 429 Too Many Requests",
                  "too many requests from this address");
  }
  SUBCASE("400 and 414 from cpp-httplib itself") {
    ExpectRefused(
        port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(9000, 'h') + "\r\n\r\n",
        "HTTP/1.1 400 Bad Request", "bad request");
    ExpectRefused(port, "GET /healthz?" + std::string(9000, 'q') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                  "HTTP/1.1 414 URI Too Long", "request line too long");
    ExpectRefused(port, "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request",
                  "bad request");
  }
  SUBCASE("400: a body shorter than its Content-Length, or chunks that never come") {
    ExpectRefused(port, FormPost("/chat/slack/commands", "Content-Length: 100\r\n") + "text=a",
                  "HTTP/1.1 400 Bad Request", "could not read the request body");
    ExpectRefused(port, SignedMention("c", "Transfer-Encoding: chunked\r\n\r\nfffffffffff\r\nab"),
                  "HTTP/1.1 400 Bad Request", "could not read the request body");
    ExpectRefused(
        port, SignedMention("c", "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nab"),
        "HTTP/1.1 400 Bad Request", "could not read the request body");
  }
  SUBCASE("404 for a body no handler reads, instead of reading it") {
    ExpectRefused(port,
                  "POST /no/such/path HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
                  "HTTP/1.1 404 Not Found", "not found");
    ExpectRefused(
        port,
        "PUT /webhooks/generic HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
            Chunked("{}"),
        "HTTP/1.1 404 Not Found", "not found");
  }
  SUBCASE("415 for multipart bodies") {
    const std::string form =
        "--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi\r\n--b--\r\n";
    ExpectRefused(port,
                  "POST /chat/slack/commands HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: " +
                      std::to_string(form.size()) + "\r\n\r\n" + form,
                  "HTTP/1.1 415 Unsupported Media Type", "multipart bodies are not accepted");
  }
}

TEST_CASE("http edge: framing a proxy could read differently is refused with 400 and closed") {
  E2eEnv env;
  const int port = env.app().port();
  auto refused = [&](const std::string& request, const std::string& reason) {
    ExpectRefused(port, request, "HTTP/1.1 400 Bad Request", reason);
  };
  const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  SUBCASE("Content-Length and Transfer-Encoding together") {
    refused(
        SignedMention("te-cl", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        "Content-Length and Transfer-Encoding together");
  }
  SUBCASE("a transfer coding other than chunked alone") {
    refused(SignedMention("te", "Transfer-Encoding: gzip, chunked\r\n\r\n" + Chunked("{}")),
            "unsupported Transfer-Encoding");
    refused(SignedMention("te", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                    Chunked("{}")),
            "unsupported Transfer-Encoding");
    refused(SignedMention("te", "Transfer-Encoding: identity\r\nContent-Length: 2\r\n\r\n{}"),
            "unsupported Transfer-Encoding");
  }
  SUBCASE("two Content-Length headers, equal or not, and lengths that are not digits") {
    refused(SignedMention("cl", "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}"),
            "more than one Content-Length");
    refused(SignedMention("cl", "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"),
            "more than one Content-Length");
    for (const char* length : {"-1", "+2", "2x", "0x2", "2 2"}) {
      CAPTURE(length);
      refused(SignedMention("cl", std::string("Content-Length: ") + length + "\r\n\r\n{}"),
              "invalid Content-Length");
    }
  }
  SUBCASE("a folded header line, and whitespace before the colon") {
    refused("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c: d\r\n\r\n",
            "malformed request header");
    refused(SignedMention("ws", "Transfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\n{}"),
            "malformed request header");
  }
  SUBCASE("a body on a GET, which cpp-httplib would read as the next request") {
    refused("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled,
            "unexpected request body");
    refused("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                Chunked(smuggled),
            "unexpected request body");
    refused("DELETE /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                Chunked(smuggled),
            "unexpected request body");
  }
  SUBCASE("a POST without any length, which cpp-httplib would read until the client closes") {
    ExpectRefused(port, "POST /webhooks/generic HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled,
                  "HTTP/1.1 411 Length Required", "Content-Length required");
  }
  CHECK(env.Get("/healthz").response.status == 200);
}

TEST_CASE(
    "http edge: after a refusal nothing more is read from the connection, so a request sent "
    "behind it never runs") {
  E2eEnv env(json{{"listen", {{"max_headers", 20}}}});
  std::string many = "POST /webhooks/generic HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 30; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  Exchange e =
      Talk(env.app().port(), many + "Content-Length: 2\r\n\r\n{}", SignedMention("behind"));
  CHECK(e.Status() == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(e.answers == 1);
  CHECK(e.closed);
  // The mention behind the refusal would be conversation 1; one sent properly is.
  CHECK_FALSE(WaitUntil([&] { return env.app().store().GetConversation(1)->has_value(); }, 1000));
  CHECK(Talk(env.app().port(), SignedMention("proper")).Status() == "HTTP/1.1 200 OK");
  CHECK(env.app().store().GetConversation(1)->has_value());
  // A request is counted once its answer is written, which the client may see first.
  CHECK(WaitUntil(
      [&] {
        return Metric(env,
                      "duplex_http_requests_total{path=\"/webhooks/generic\",status=\"431\"}") ==
                   1 &&
               Metric(env,
                      "duplex_http_requests_total{path=\"/webhooks/generic\",status=\"200\"}") == 1;
      },
      5000));
}

TEST_CASE(
    "http edge: a refused connection gives its thread up at once, whatever its client sends "
    "next") {
  E2eEnv env(json{{"listen", {{"threads", 2}, {"max_connections_per_source", 0}}}});
  std::vector<std::unique_ptr<RawSocket>> refused;
  for (int i = 0; i < 2; ++i) {  // one per thread
    refused.push_back(std::make_unique<RawSocket>(env.app().port()));
    refused.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n\r\n");
    const std::string answer = refused.back()->Read(5000, "}");
    REQUIRE(answer.substr(0, answer.find("\r\n")) == "HTTP/1.1 415 Unsupported Media Type");
    refused.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  }
  // The header goes on a byte every 100 ms: never idle, so only the refusal can free the threads.
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int i = 0; i < 100 && !stop; ++i) {
      for (auto& s : refused) s->Send("x");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the pace, not a wait
    }
  });
  const auto start = std::chrono::steady_clock::now();
  CHECK(Talk(env.app().port(), kHealthz).Status() == "HTTP/1.1 200 OK");
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stop = true;
  trickle.join();
  MESSAGE("the next connection was served after ", waited, " s");
  CHECK(waited < 2.0);
}

TEST_CASE(
    "http edge: a chunked webhook is served and then the connection closed, a Content-Length one "
    "keeps it open") {
  E2eEnv env;
  const std::string body = E2eEnv::GenericMention("m-ch", "c-ch", "hello").dump();
  Exchange chunked =
      Talk(env.app().port(),
           SignedMention("ch", "Transfer-Encoding: chunked\r\n\r\n" + Chunked(body, 7)), kHealthz);
  CHECK(chunked.Status() == "HTTP/1.1 200 OK");
  CHECK(chunked.answers == 1);
  CHECK(chunked.closed);
  CHECK(env.app().store().GetConversation(1)->has_value());
  // A chunk not followed by CRLF ends the body for cpp-httplib; what follows is never a request.
  Exchange lenient = Talk(
      env.app().port(),
      SignedMention("ch2", "Transfer-Encoding: chunked\r\n\r\n2\r\n{}" + std::string(kHealthz)),
      kHealthz);
  CHECK(lenient.answers == 1);
  CHECK(lenient.closed);

  Exchange plain = Talk(env.app().port(), SignedMention("cl"), kHealthz);
  CHECK(plain.Status() == "HTTP/1.1 200 OK");
  CHECK(plain.answers == 2);
  CHECK(plain.bytes.find("Connection: close") == std::string::npos);
  // An unknown GET is a plain 404: there is no body, so the connection goes on.
  Exchange missing =
      Talk(env.app().port(), "GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n", kHealthz);
  CHECK(missing.Status() == "HTTP/1.1 404 Not Found");
  CHECK(missing.answers == 2);
}

TEST_CASE(
    "http edge: over TLS, a request decrypted along with a refused one never runs (one record "
    "holds both)") {
  TempDir certs;
  TlsFiles tls = MakeSelfSignedCert(certs.path().string());
  E2eEnv env(json{{"listen", {{"tls_cert", tls.cert}, {"tls_key", tls.key}}}});
  const int port = env.app().port();
  Exchange e = TlsTalk(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n\r\n" +
                                 SignedMention("behind"));
  CHECK(e.Status() == "HTTP/1.1 415 Unsupported Media Type");
  CHECK(e.answers == 1);
  CHECK(e.closed);
  CHECK_FALSE(WaitUntil([&] { return env.app().store().GetConversation(1)->has_value(); }, 1000));
  CHECK(TlsTalk(port, SignedMention("proper"), "}").Status() == "HTTP/1.1 200 OK");
  CHECK(env.app().store().GetConversation(1)->has_value());
}

}  // namespace duplex::test
