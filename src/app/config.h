// duplex's configuration: one JSON file (docs/configuration.md lists every key). Any string may
// hold
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

// The values duplex runs with. ParseConfig sets every field; the defaults are in the config
// schema (config_schema.cpp), and nowhere else.
struct ListenConfig {
  std::string host;
  int port = 0;
  std::string tls_cert;
  std::string tls_key;
  std::int64_t max_body_bytes = 0;
  int metrics_port = 0;  // 0: /metrics on the main port
  int threads = 0;       // HTTP worker threads (each keep-alive connection holds one)
  int read_timeout_s = 0;
  int write_timeout_s = 0;
  int request_timeout_s = 0;           // a request must arrive whole within this
  int max_queued_connections = 0;      // waiting for a thread; beyond: 503 at once
  int max_connections_per_source = 0;  // open at once from one address (not trusted proxies)
  int max_headers = 0;                 // more: 431
  std::int64_t max_header_bytes = 0;   // all header lines together; more: 431
  double rate_limit_per_second = 0;    // per client address on /webhooks/; 0: no limit
  double rate_limit_burst = 0;
  // Addresses/CIDRs whose X-Forwarded-For is believed; their own requests and connections are
  // not limited.
  std::vector<std::string> trusted_proxies;
};

struct ChatRateLimit {
  double per_second = 0;
  double burst = 0;
};

struct ChatConfig {
  std::string kind;  // slack | mattermost | console
  std::string api_base;
  std::string bot_token;
  std::string signing_secret;               // Slack; console: what `duplex chat` signs with
  std::vector<std::string> command_tokens;  // Mattermost
  std::string team_id;
  std::string default_channel;
  std::vector<std::string> admins;
  ChatRateLimit rate_limit;
  std::string ca_file;
};

struct SlaConfig {
  int first_response_minutes = 0;
  int remind_before_minutes = 0;
  std::map<std::string, int> route_minutes;  // sla.routes: {"<route name>": minutes}
  int check_seconds = 0;                     // how often reminders are looked for
};

struct Config {
  ListenConfig listen;
  std::string database;
  std::string synchronous;
  // false: one transaction (and fsync) per webhook request. For benchmarks only: it measures
  // what group commit gains (bench/README.md).
  bool group_commit = true;
  std::string public_url;
  ChatConfig chat;
  nlohmann::json platforms = nlohmann::json::object();  // expanded; built by the registry
  SlaConfig sla;
  std::int64_t vip_followers = 0;
  // false: this instance sends nothing; the instances sharing its PostgreSQL database do.
  bool delivery_enabled = true;
  int delivery_threads = 0;
  // How long an instance's claim on a delivery stands unless its heartbeat renews it
  // (DeliveryDeps::lease_ms): a dead instance's work is taken over this long after it died.
  int delivery_lease_seconds = 0;
  ChatRateLimit platform_rate_limit;
  // The file as read: ${ENV} expanded and every default of the schema filled in.
  nlohmann::json document;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> ProcessEnv(const std::string& name);

// Replaces ${NAME} in every string of `doc`. Unset variables are reported by JSON path.
void ExpandEnv(nlohmann::json& doc, const EnvLookup& env, const std::string& path,
               std::vector<std::string>& errors);
// The NAMEs of the ${NAME} references in `s` that ExpandEnv replaces, in order.
std::vector<std::string> EnvReferences(const std::string& s);

// Parses and validates. On failure the Status message lists every problem, one per line:
// first unset variables, unknown keys and values of the wrong shape (alone, as they would
// only cause misleading follow-on errors), then everything else.
Result<Config> ParseConfig(const std::string& text, const EnvLookup& env = ProcessEnv);
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env = ProcessEnv);

// The parts of the config file a local client needs, validated alone: `sections` are the
// dotted paths kept ("listen", "chat", "platforms.generic"); everything else is left out, so
// only the variables those parts name must be set. A missing "chat" is a console chat.
Result<Config> LoadConfigParts(const std::string& path, const std::vector<std::string>& sections,
                               const EnvLookup& env = ProcessEnv);

// The config file as JSON with ${ENV} expanded but not validated: for commands that read a
// key or two and must work before every secret is in the environment (slack-manifest,
// backup). A variable that is not set expands to "" and is listed in `unset` as
// "<json.path>: environment variable NAME is not set".
Result<nlohmann::json> LoadConfigDocument(const std::string& path, std::vector<std::string>& unset,
                                          const EnvLookup& env = ProcessEnv);

}  // namespace duplex
