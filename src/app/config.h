// duplex's configuration: one JSON file (SPEC.md, Configuration). Any string may hold
// ${ENV_NAME}; validation collects every problem with its JSON path. Secrets are read from
// the file or the environment and never printed: errors name paths and variables only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace duplex {

struct ListenConfig {
  std::string host = "0.0.0.0";
  int port = 8080;
  std::string tls_cert;
  std::string tls_key;
  std::int64_t max_body_bytes = 1 << 20;
  int metrics_port = 0;        // 0: /metrics on the main port
  int threads = 64;            // HTTP worker threads (each keep-alive connection holds one)
  int read_timeout_s = 10;
  int write_timeout_s = 10;
  int request_timeout_s = 20;                 // a request must arrive whole within this
  int max_queued_connections = 64;            // waiting for a thread; beyond: 503 at once
  int max_connections_per_source = 32;        // open at once from one address (not trusted proxies)
  int max_headers = 100;                      // more: 431
  std::int64_t max_header_bytes = 32 * 1024;  // all header lines together; more: 431
  double rate_limit_per_second = 100;         // per client address on /webhooks/; 0: no limit
  double rate_limit_burst = 500;
  // Addresses/CIDRs whose X-Forwarded-For is believed; their own requests and connections are
  // not limited. Default: loopback, where a local reverse proxy connects from.
  std::vector<std::string> trusted_proxies = {"127.0.0.1", "::1"};
};

struct ChatRateLimit {
  double per_second = 1.0;
  double burst = 3.0;
};

struct ChatConfig {
  std::string kind = "slack";  // slack | mattermost | console
  std::string api_base;
  std::string bot_token;
  std::string signing_secret;  // Slack
  std::vector<std::string> command_tokens;  // Mattermost
  std::string team_id;
  std::string default_channel;
  std::vector<std::string> admins;
  ChatRateLimit rate_limit;
  std::string ca_file;
};

struct SlaConfig {
  int first_response_minutes = 20;
  int remind_before_minutes = 5;
  std::map<std::string, int> route_minutes;  // sla.routes: {"<route name>": minutes}
  int check_seconds = 15;                    // how often reminders are looked for
};

struct Config {
  ListenConfig listen;
  std::string database = "duplex.db";
  std::string synchronous = "FULL";
  // false: one transaction (and fsync) per webhook request. For benchmarks only: it measures
  // what group commit gains (bench/README.md).
  bool group_commit = true;
  std::string public_url;
  ChatConfig chat;
  nlohmann::json platforms = nlohmann::json::object();  // expanded; built by the registry
  SlaConfig sla;
  std::int64_t vip_followers = 10'000;
  int delivery_threads = 4;
  ChatRateLimit platform_rate_limit{5.0, 10.0};
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> ProcessEnv(const std::string& name);

// Replaces ${NAME} in every string of `doc`. Unset variables are reported by JSON path.
void ExpandEnv(nlohmann::json& doc, const EnvLookup& env, const std::string& path,
               std::vector<std::string>& errors);
// The NAMEs of the ${NAME} references in `s` that ExpandEnv replaces, in order.
std::vector<std::string> EnvReferences(const std::string& s);

// Parses and validates. On failure the Status message lists every problem, one per line.
Result<Config> ParseConfig(const std::string& text, const EnvLookup& env = ProcessEnv);
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env = ProcessEnv);

// The config file as JSON with ${ENV} expanded but not validated: for commands that read a
// key or two and must work before every secret is in the environment (slack-manifest,
// backup). A variable that is not set expands to "" and is listed in `unset` as
// "<json.path>: environment variable NAME is not set".
Result<nlohmann::json> LoadConfigDocument(const std::string& path, std::vector<std::string>& unset,
                                          const EnvLookup& env = ProcessEnv);

}  // namespace duplex
