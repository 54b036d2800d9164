// What the outbound HTTP client says when a call fails before an answer: refused, DNS,
// TLS — words an operator can act on, where cpp-httplib says only "Connection".
#include <doctest/doctest.h>

#include "app/httplib_client.h"
#include "support/fake_http_server.h"
#include "support/process.h"
#include "support/test_util.h"
#include "support/tls_cert.h"

namespace duplex::test {

TEST_CASE("http client: a refused connection and an unknown host are told apart") {
  HttplibClient http;
  HttpRequest refused;
  refused.url = "http://127.0.0.1:" + std::to_string(FreePort()) + "/r";  // nobody listens
  refused.timeout_ms = 2000;
  HttpResult r = http.Send(refused);
  CHECK(r.error == TransportError::kNotSent);
  CHECK(r.error_message.find("connection refused or unreachable: 127.0.0.1:") == 0);

  HttpRequest dns;
  dns.url = "http://duplex-test.invalid/r";  // .invalid never resolves (RFC 6761)
  dns.timeout_ms = 2000;
  r = http.Send(dns);
  CHECK(r.error == TransportError::kNotSent);
  CHECK(r.error_message == "DNS: cannot resolve duplex-test.invalid (nothing was sent)");
}

TEST_CASE("http client: a TLS server that is not trusted says TLS") {
  TempDir dir;
  const TlsFiles tls = MakeSelfSignedCert(dir.path().string());
  FakeHttpServer server(tls.cert, tls.key);
  HttplibClient http;
  HttpRequest req;
  req.url = server.url() + "/r";
  req.timeout_ms = 2000;
  HttpResult r = http.Send(req);
  CHECK(r.error_message.find("TLS") == 0);
}

}  // namespace duplex::test
