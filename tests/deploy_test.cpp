// The deployment files in deploy/ agree with each other and with the binary: the example
// config is valid with the example environment, and paths and ports line up.
#include <doctest/doctest.h>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/config.h"
#include "core/text.h"
#include "security/client_address.h"
#include "support/test_util.h"

namespace duplex {
namespace {

const std::string kRoot = std::string(DUPLEX_FIXTURES_DIR) + "/../..";

std::string Deploy(const std::string& name) {
  return test::ReadFile(kRoot + "/deploy/" + name);
}

// KEY=VALUE lines of an env file; empty values (secrets the operator fills in) get a
// stand-in so the config can be checked.
std::map<std::string, std::string> EnvFile(const std::string& text) {
  std::map<std::string, std::string> env;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = text::Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    REQUIRE_MESSAGE(eq != std::string::npos, line);
    std::string value = line.substr(eq + 1);
    env[line.substr(0, eq)] = value.empty() ? "filled-in-" + line.substr(0, eq) : value;
  }
  return env;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("deploy: duplex.json is valid with the variables duplex.env.example lists") {
  auto env = EnvFile(Deploy("duplex.env.example"));
  auto config = ParseConfig(Deploy("duplex.json"),
                            [&](const std::string& name) -> std::optional<std::string> {
                              auto it = env.find(name);
                              if (it == env.end()) return std::nullopt;
                              return it->second;
                            });
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  CHECK(config->public_url == "https://" + env["DUPLEX_DOMAIN"]);
  CHECK(config->database.rfind("/var/lib/duplex/", 0) == 0);
  CHECK(config->listen.port == 8080);
  CHECK(config->listen.tls_cert.empty());  // TLS is Caddy's job in this setup
  // Caddy reaches duplex from the compose network, not loopback: unless that network is a
  // trusted proxy, every client shares Caddy's rate-limit bucket and connection cap.
  auto proxies = security::TrustedProxies::Parse(config->listen.trusted_proxies);
  REQUIRE(proxies.ok());
  for (const char* caddy : {"172.18.0.3", "192.168.16.2"}) {
    CHECK(proxies->ClientAddress(caddy, "203.0.113.9") == "203.0.113.9");
  }
  CHECK(proxies->ClientAddress("203.0.113.7", "198.51.100.1") == "203.0.113.7");
}

TEST_CASE("deploy: compose, Caddyfile, Dockerfile and the systemd unit agree on paths and ports") {
  std::string compose = Deploy("compose.yaml");
  std::string caddy = Deploy("Caddyfile");
  std::string unit = Deploy("duplex.service");
  std::string docker = test::ReadFile(kRoot + "/Dockerfile");
  // Caddy forwards to the duplex service on the port duplex.json listens on.
  CHECK(Has(caddy, "reverse_proxy duplex:8080"));
  CHECK(Has(caddy, "{$DUPLEX_DOMAIN}"));
  CHECK(Has(compose, "DUPLEX_DOMAIN"));
  CHECK(Has(compose, "\"443:443\""));
  CHECK(Has(compose, "image: caddy:2"));
  // The database lives on the named volume the image declares; the config where the image's
  // command reads it.
  CHECK(Has(compose, "duplex-data:/var/lib/duplex"));
  CHECK(Has(docker, "VOLUME [\"/var/lib/duplex\""));
  CHECK(Has(compose, "./duplex.json:/etc/duplex/duplex.json:ro"));
  CHECK(Has(docker, "\"--config\", \"/etc/duplex/duplex.json\""));
  CHECK(Has(compose, "env_file: duplex.env"));
  CHECK(Has(compose, "condition: service_healthy"));
  CHECK(Has(docker, "HEALTHCHECK"));
  // systemd: the same config path, a dedicated user, the database folder writable and
  // nothing else.
  CHECK(Has(unit, "ExecStart=/usr/local/bin/duplex serve --config /etc/duplex/duplex.json"));
  CHECK(Has(unit, "EnvironmentFile=/etc/duplex/duplex.env"));
  for (const char* line :
       {"User=duplex", "Restart=on-failure", "RestartPreventExitStatus=2", "NoNewPrivileges=yes",
        "ProtectSystem=strict", "ReadWritePaths=/var/lib/duplex", "PrivateTmp=yes",
        "ProtectHome=yes", "CapabilityBoundingSet=\n"}) {
    CHECK_MESSAGE(Has(unit, line), line);
  }
}

TEST_CASE(
    "deploy: compose.postgres.yaml runs two instances on PostgreSQL 15 behind Caddy, with the "
    "same config as the single-host setup but the database") {
  std::string compose = Deploy("compose.postgres.yaml");
  std::string caddy = Deploy("Caddyfile.postgres");
  // The URL compose gives duplex, with the password it takes from duplex.env.
  const std::string key = "DATABASE_URL: ";
  auto at = compose.find(key);
  REQUIRE(at != std::string::npos);
  std::string url = compose.substr(at + key.size(), compose.find('\n', at) - at - key.size());
  const std::string password_ref = "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in duplex.env}";
  REQUIRE(Has(url, password_ref));
  url.replace(url.find(password_ref), password_ref.size(), "s3cret");
  CHECK(url == "postgresql://duplex:s3cret@postgres:5432/duplex?sslmode=disable");

  auto env = EnvFile(Deploy("duplex.env.example"));
  env["DATABASE_URL"] = url;
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto config = ParseConfig(Deploy("duplex.postgres.json"), lookup);
  REQUIRE_MESSAGE(config.ok(), config.status().message());
  CHECK(config->database == url);
  CHECK(config->listen.port == 8080);
  // Everything but the database is the single-host example's, so the two cannot drift.
  auto single = nlohmann::json::parse(Deploy("duplex.json"));
  auto pg = nlohmann::json::parse(Deploy("duplex.postgres.json"));
  CHECK(pg["database"] == "${DATABASE_URL}");
  single.erase("database");
  pg.erase("database");
  CHECK(single == pg);

  // PostgreSQL's role, database and password are the ones in the URL.
  for (const char* line : {"image: postgres:15", "POSTGRES_USER: duplex", "POSTGRES_DB: duplex",
                           "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?", "pg_isready",
                           "postgres-data:/var/lib/postgresql/data"}) {
    CHECK_MESSAGE(Has(compose, line), line);
  }
  // Two instances from one definition, each waiting for the database, both behind Caddy,
  // which checks each one's readiness.
  CHECK(Has(compose, "duplex-1: *duplex"));
  CHECK(Has(compose, "duplex-2: *duplex"));
  CHECK(Has(compose, "./duplex.postgres.json:/etc/duplex/duplex.json:ro"));
  CHECK(Has(compose, "./Caddyfile.postgres:/etc/caddy/Caddyfile:ro"));
  CHECK(Has(compose, "image: caddy:2"));
  CHECK(Has(compose, "\"443:443\""));
  CHECK(Has(caddy, "{$DUPLEX_DOMAIN}"));
  CHECK(Has(caddy, "reverse_proxy duplex-1:8080 duplex-2:8080"));
  CHECK(Has(caddy, "health_uri /readyz"));
  CHECK(Has(caddy, "lb_try_duration"));
  CHECK(Has(caddy, "respond @internal 404"));
}

}  // namespace duplex
