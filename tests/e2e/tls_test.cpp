// TLS both ways with a certificate made in the test: duplex serving HTTPS itself
// (listen.tls_cert / tls_key), and duplex calling an HTTPS chat API that it trusts only
// through the system CA store or the target's own ca_file — never a global "insecure" switch.
#include <doctest/doctest.h>

#include <atomic>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "security/signatures.h"
#include "support/e2e_env.h"
#include "support/tls_cert.h"

namespace duplex::test {
namespace {

using nlohmann::json;

HttpRequest SignedWebhook(const std::string& url, const std::string& id) {
  std::string body = E2eEnv::GenericMention("m-" + id, "c-" + id, "over TLS").dump();
  std::string ts = std::to_string(SystemClock().NowSeconds());
  HttpRequest r;
  r.url = url + "/webhooks/generic";
  r.body = body;
  r.headers = {{"webhook-id", id},
               {"webhook-timestamp", ts},
               {"webhook-signature", security::SignStandardWebhook(kGenericSecret, id, ts, body)}};
  return r;
}

}  // namespace

TEST_CASE(
    "tls: duplex serves HTTPS with listen.tls_cert and tls_key and a client trusting that "
    "certificate gets through") {
  TempDir certs;
  TlsFiles tls = MakeSelfSignedCert(certs.path().string());
  E2eEnv env(json{{"listen", {{"tls_cert", tls.cert}, {"tls_key", tls.key}}}});
  const std::string https = "https://127.0.0.1:" + std::to_string(env.app().port());

  HttpRequest trusted = SignedWebhook(https, "tls-1");
  trusted.ca_file = tls.cert;
  auto ok = env.Send(trusted);
  CHECK(ok.ok());
  CHECK(ok.response.status == 200);
  CHECK(env.slack.WaitForPosts(1));

  // The same request from a client that only trusts the system CA store is refused by the
  // client itself, before anything is sent.
  auto untrusted = env.Send(SignedWebhook(https, "tls-2"));
  CHECK(untrusted.error == TransportError::kNotSent);
  CHECK(untrusted.error_message.find("TLS certificate verification failed") != std::string::npos);

  // Plain HTTP on the TLS port gets no answer.
  HttpRequest plain =
      SignedWebhook("http://127.0.0.1:" + std::to_string(env.app().port()), "tls-3");
  plain.timeout_ms = 3000;
  CHECK_FALSE(env.Send(plain).ok());
  CHECK(env.app().store().GetConversation(1)->has_value());
  CHECK_FALSE(env.app().store().GetConversation(2)->has_value());
}

TEST_CASE("tls: a broken certificate pair is a clear start-up error, not a half-started server") {
  TempDir certs;
  TlsFiles tls = MakeSelfSignedCert(certs.path().string());
  TlsFiles other = MakeSelfSignedCert(certs.path().string(), "other");
  E2eEnv env(json{{"listen", {{"tls_cert", tls.cert}, {"tls_key", other.key}}}}, /*start=*/false);
  auto config = ParseConfig(env.config.dump());
  REQUIRE(config.ok());
  auto app = App::Create(*config);
  REQUIRE(app.ok());
  Status s = (*app)->Start();
  CHECK_FALSE(s.ok());
  CHECK(s.message() == "cannot load TLS certificate or key");
}

TEST_CASE(
    "tls: outbound HTTPS is verified — an untrusted chat API is not posted to and chat.ca_file "
    "trusts it") {
  TempDir certs;
  TlsFiles tls = MakeSelfSignedCert(certs.path().string());
  FakeHttpServer https_slack(tls.cert, tls.key);
  std::atomic<int> posts{0};
  https_slack.On("/api/chat.postMessage", [&](const RecordedRequest&) {
    ++posts;
    return FakeAnswer{
        200, json{{"ok", true}, {"ts", "1700000000.000100"}, {"channel", kDefaultChannel}}.dump()};
  });
  E2eEnv env(json{{"chat", {{"api_base", https_slack.url() + "/api"}}}});
  REQUIRE(env.PostGeneric(E2eEnv::GenericMention("m1", "c1", "hello"), "wh-1").response.status ==
          200);

  // The first attempt fails in the TLS handshake: nothing sent, so it is retried, and the
  // log says why in words an operator can act on.
  REQUIRE(WaitUntil([&] {
    return env.LogText().find("TLS certificate verification failed") != std::string::npos;
  }));
  CHECK(posts == 0);
  CHECK(https_slack.Count() == 0);
  std::string log = env.LogText();
  CHECK(log.find("result=retry") != std::string::npos);
  CHECK(log.find("set ca_file for a private CA") != std::string::npos);

  // Trusting the certificate through the chat target's own CA file: the retry gets through.
  env.config["chat"]["ca_file"] = tls.cert;
  env.Restart();
  CHECK(WaitUntil([&] { return posts == 1; }, 15'000));
}

}  // namespace duplex::test
