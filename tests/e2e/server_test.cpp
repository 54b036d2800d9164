// The HTTP server's edges: limits, errors, operator endpoints, logs.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "app/http_server.h"
#include "core/log.h"
#include "security/signatures.h"
#include "support/e2e_env.h"

namespace duplex::test {

using nlohmann::json;

TEST_CASE("healthz, readyz and metrics answer — metrics count requests, webhooks and deliveries") {
  E2eEnv env;
  CHECK(env.Get("/healthz").response.status == 200);
  auto ready = env.Get("/readyz");
  CHECK(ready.response.status == 200);
  CHECK(ready.response.body.find("\"database\":\"ok\"") != std::string::npos);
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hi"), "wh-1").response.status == 200);
  env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hi"), "wh-1");
  env.PostGeneric(E2eEnv::GenericMention("m2", "c1", "hi"), "wh-2", "whsec_d3Jvbmc=");
  REQUIRE(env.slack.WaitForPosts(1));
  REQUIRE(WaitUntil([&] {
    return env.Get("/metrics")
               .response.body.find(
                   "duplex_deliveries_total{kind=\"chat_post\",result=\"done\"} 1") !=
           std::string::npos;
  }));
  std::string m = env.Get("/metrics").response.body;
  CHECK(m.find("# TYPE duplex_webhooks_total counter") != std::string::npos);
  CHECK(m.find("duplex_webhooks_total{platform=\"generic\",result=\"accepted\"} 1") !=
        std::string::npos);
  CHECK(m.find("duplex_webhooks_total{platform=\"generic\",result=\"duplicate\"} 1") !=
        std::string::npos);
  CHECK(m.find("duplex_webhooks_total{platform=\"generic\",result=\"unauthorized\"} 1") !=
        std::string::npos);
  CHECK(m.find("duplex_http_requests_total{path=\"/webhooks/generic\",status=\"200\"} 2") !=
        std::string::npos);
  CHECK(m.find("duplex_http_requests_total{path=\"/webhooks/generic\",status=\"401\"} 1") !=
        std::string::npos);
  CHECK(m.find("duplex_outbox_pending 0") != std::string::npos);
  // Sent one after the other, the two signed webhooks were committed one per transaction.
  CHECK(m.find("duplex_group_commit_requests_total 2") != std::string::npos);
  CHECK(m.find("duplex_group_commit_batches_by_size_total{size=\"1\"} 2") != std::string::npos);
  CHECK(m.find("duplex_group_commit_batches_by_size_total{size=\"2-3\"} 0") != std::string::npos);
  CHECK(m.find("duplex_group_commit_max_batch 1") != std::string::npos);
  CHECK(m.find(kBotToken) == std::string::npos);
  CHECK(m.find(kGenericSecret) == std::string::npos);
}

TEST_CASE("metrics can live on their own port") {
  int port = 0;
  {
    E2eEnv probe(json::object(), false);
    port = probe.receiver.port();  // any port known to be free once the probe is gone
  }
  E2eEnv env(json{{"listen", {{"metrics_port", port}}}});
  CHECK(env.Get("/metrics").response.status == 404);
  HttpRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:" + std::to_string(env.app().metrics_port()) + "/metrics";
  CHECK(env.Send(r).response.status == 200);
}

TEST_CASE("unknown paths get a JSON 404 — unconfigured platforms are unknown paths") {
  E2eEnv env;
  auto r = env.Get("/nope");
  CHECK(r.response.status == 404);
  CHECK(r.response.body == "{\"error\":\"not found\"}");
  HttpRequest post;
  post.url = env.base_url() + "/webhooks/telegram";
  post.body = "{}";
  CHECK(env.Send(post).response.status == 404);
}

TEST_CASE("bodies over the limit get 413, for JSON webhooks and for form commands alike") {
  E2eEnv env(json{{"listen", {{"max_body_bytes", 4096}}}});
  auto big = env.PostGeneric(E2eEnv::GenericMention("m1", "c1", std::string(5000, 'a')), "wh-1");
  CHECK(big.response.status == 413);
  auto cmd = env.SlackCommand("reply 1 " + std::string(5000, 'b'));
  CHECK(cmd.response.status == 413);
  CHECK_FALSE(env.app().store().GetConversation(1)->has_value());
  // Form commands between cpp-httplib's own 8 KiB form limit and ours are accepted.
  E2eEnv roomy;
  auto long_cmd = roomy.SlackCommand("help " + std::string(20000, 'c'));
  CHECK(long_cmd.response.status == 200);
}

TEST_CASE("Slack's ssl_check is answered before any signature check") {
  E2eEnv env;
  HttpRequest r;
  r.url = env.base_url() + "/chat/slack/commands";
  r.content_type = "application/x-www-form-urlencoded";
  r.body = "ssl_check=1&token=abc";
  auto res = env.Send(r);
  CHECK(res.response.status == 200);
  CHECK(res.response.body.empty());
}

TEST_CASE("one log line per request with method, path, status and latency, and no bodies") {
  E2eEnv env;
  env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "distinctive-body-text-123"), "wh-1");
  env.Get("/secret-looking-path?token=abc");
  // The line is written after the answer is sent, so wait for both.
  REQUIRE(WaitUntil([&] {
    std::string l = env.LogText();
    return l.find("path=/webhooks/generic") != std::string::npos &&
           l.find("status=404") != std::string::npos;
  }));
  std::string logs = env.LogText();
  CHECK(logs.find("request method=POST path=/webhooks/generic status=200 ms=") !=
        std::string::npos);
  CHECK(logs.find("distinctive-body-text-123") == std::string::npos);
  CHECK(logs.find("token=abc") == std::string::npos);
  CHECK(logs.find("path=unknown status=404") != std::string::npos);
}

TEST_CASE("an exception in a handler becomes a bare 500 and its text stays in the log") {
  std::vector<std::string> lines;
  duplex::log::SetSink([&](const std::string& l) { lines.push_back(l); });
  SystemClock clock;
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  HttpServer server(o, clock, nullptr);
  server.Get("/boom", [](const InboundRequest&) -> HttpAnswer {
    throw std::runtime_error("secret internals");
  });
  REQUIRE(server.Start().ok());
  HttplibClient http;
  HttpRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/boom";
  auto res = http.Send(r);
  server.Stop();
  duplex::log::ResetSink();
  CHECK(res.response.status == 500);
  CHECK(res.response.body == "{\"error\":\"internal error\"}");
  bool logged = false;
  for (const auto& l : lines) logged = logged || l.find("secret internals") != std::string::npos;
  CHECK(logged);
}

}  // namespace duplex::test
