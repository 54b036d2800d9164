// check-config loads what serve loads, and serve creates nothing from a config that cannot
// run: a certificate, key or CA file that does not load is named, before any database exists.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/e2e_env.h"
#include "support/process.h"
#include "support/tls_cert.h"

namespace duplex::test {

using nlohmann::json;

namespace {

std::string Write(const TempDir& dir, const E2eDatabase& database, const json& listen,
                  const json& chat_extra = json::object()) {
  json chat = {{"kind", "console"}};
  chat.merge_patch(chat_extra);
  json c = {{"listen", listen},
            {"database", database.config()},
            {"chat", chat},
            {"platforms", {{"generic", {{"secret", kGenericSecret}}}}}};
  WriteFile(dir.File("c.json"), c.dump());
  return dir.File("c.json");
}

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "check-config and serve: a TLS file that does not load is named, and no database is created") {
  TempDir dir;
  E2eDatabase database(dir);
  const TlsFiles tls = MakeSelfSignedCert(dir.path().string());
  const std::string missing = dir.File("nope.pem");

  const std::string no_cert =
      Write(dir, database,
            {{"host", "127.0.0.1"}, {"port", 0}, {"tls_cert", missing}, {"tls_key", tls.key}});
  auto check = RunDuplex({"check-config", "--config", no_cert});
  CHECK(check.exit_code == 2);
  CHECK(Has(check.err,
            "listen.tls_cert: cannot load the certificate '" + missing + "': no such file"));
  auto serve = RunDuplex({"serve", "--config", no_cert});
  CHECK(serve.exit_code == 2);
  CHECK(Has(serve.err, "listen.tls_cert: cannot load the certificate '" + missing + "'"));
  CHECK_FALSE(database.Created());

  const std::string swapped =
      Write(dir, database,
            {{"host", "127.0.0.1"}, {"port", 0}, {"tls_cert", tls.key}, {"tls_key", tls.cert}});
  check = RunDuplex({"check-config", "--config", swapped});
  CHECK(check.exit_code == 2);
  CHECK(Has(check.err, "listen.tls_cert: cannot load the certificate '" + tls.key + "'"));
  CHECK(Has(check.err, "listen.tls_key: cannot load the private key '" + tls.cert + "'"));
  serve = RunDuplex({"serve", "--config", swapped});
  CHECK(serve.exit_code == 2);
  CHECK_FALSE(database.Created());

  std::filesystem::create_directories(dir.File("other"));
  const TlsFiles other = MakeSelfSignedCert(dir.File("other"), "other");
  const std::string mismatched =
      Write(dir, database,
            {{"host", "127.0.0.1"}, {"port", 0}, {"tls_cert", tls.cert}, {"tls_key", other.key}});
  check = RunDuplex({"check-config", "--config", mismatched});
  CHECK(check.exit_code == 2);
  CHECK(Has(check.err, "listen.tls_key: the key '" + other.key +
                           "' does not belong to the certificate '" + tls.cert + "'"));

  const std::string good =
      Write(dir, database,
            {{"host", "127.0.0.1"}, {"port", 0}, {"tls_cert", tls.cert}, {"tls_key", tls.key}});
  check = RunDuplex({"check-config", "--config", good});
  CHECK_MESSAGE(check.exit_code == 0, check.err);
}

TEST_CASE("check-config: a CA file that does not load is named with its JSON path") {
  TempDir dir;
  E2eDatabase database(dir);
  WriteFile(dir.File("not-a-ca.pem"), "hello\n");
  const std::string config = Write(dir, database, {{"host", "127.0.0.1"}, {"port", 0}},
                                   {{"ca_file", dir.File("not-a-ca.pem")}});
  auto check = RunDuplex({"check-config", "--config", config});
  CHECK(check.exit_code == 2);
  CHECK(Has(check.err, "chat.ca_file: cannot load the CA file '" + dir.File("not-a-ca.pem") + "'"));
}

}  // namespace duplex::test
