#include "app/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/config_section.h"
#include "platforms/registry.h"
#include "security/client_address.h"

namespace duplex {

using nlohmann::json;

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

namespace {

bool IsEnvNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

std::string ExpandString(const std::string& s, const EnvLookup& env, const std::string& path,
                         std::vector<std::string>& errors) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t open = s.find("${", i);
    if (open == std::string::npos) {
      out.append(s, i, std::string::npos);
      break;
    }
    std::size_t close = s.find('}', open + 2);
    std::string name = close == std::string::npos ? "" : s.substr(open + 2, close - open - 2);
    bool valid = !name.empty();
    for (char c : name) valid = valid && IsEnvNameChar(c);
    if (!valid) {  // not a reference: keep the text as written
      out.append(s, i, open + 2 - i);
      i = open + 2;
      continue;
    }
    out.append(s, i, open - i);
    auto value = env(name);
    if (!value) {
      errors.push_back(path + ": environment variable " + name + " is not set");
    } else {
      out += *value;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> EnvReferences(const std::string& s) {
  std::vector<std::string> names;
  std::vector<std::string> unset;
  ExpandString(
      s,
      [&names](const std::string& name) {
        names.push_back(name);
        return std::optional<std::string>("");
      },
      "", unset);
  return names;
}

void ExpandEnv(json& doc, const EnvLookup& env, const std::string& path,
               std::vector<std::string>& errors) {
  if (doc.is_string()) {
    doc = ExpandString(doc.get<std::string>(), env, path, errors);
  } else if (doc.is_object()) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      ExpandEnv(it.value(), env, path.empty() ? it.key() : path + "." + it.key(), errors);
    }
  } else if (doc.is_array()) {
    for (std::size_t i = 0; i < doc.size(); ++i) {
      ExpandEnv(doc[i], env, path + "[" + std::to_string(i) + "]", errors);
    }
  }
}

namespace {

void ParseChat(ConfigSection chat, Config& c) {
  ChatConfig& cc = c.chat;
  cc.kind = chat.String("kind", "slack");
  if (cc.kind == "slack") {
    cc.api_base = chat.Url("api_base", "https://slack.com/api");
    cc.bot_token = chat.Required("bot_token");
    cc.signing_secret = chat.Secret("signing_secret");
    cc.team_id = chat.Required("team_id");
    cc.default_channel = chat.Required("default_channel");
  } else if (cc.kind == "mattermost") {
    cc.api_base = chat.Url("api_base", "", /*required=*/true);
    cc.bot_token = chat.Required("bot_token");
    cc.command_tokens = chat.StringList("command_token");
    if (cc.command_tokens.empty()) chat.Error("command_token", "required");
    const bool list = chat.IsList("command_token");
    for (std::size_t i = 0; i < cc.command_tokens.size(); ++i) {
      const std::string key = list ? "command_token[" + std::to_string(i) + "]" : "command_token";
      if (cc.command_tokens[i].empty()) {
        chat.Error(key, "must not be empty");
      } else if (cc.command_tokens[i].size() < kMinSecretBytes) {
        chat.ShortSecret(key, " (Mattermost's tokens are 26 characters)");
      }
    }
    // Without it, any team of the Mattermost server (or anyone holding a token) could run
    // commands here; the handler refuses every command whose team_id differs.
    cc.team_id = chat.Required("team_id");
    cc.default_channel = chat.Required("default_channel");
  } else if (cc.kind == "console") {
    // Local use: posts go to stdout. Slack-signed commands are accepted when a signing
    // secret is given (the demo uses this).
    cc.signing_secret = chat.String("signing_secret");
    if (!cc.signing_secret.empty() && cc.signing_secret.size() < kMinSecretBytes) {
      chat.ShortSecret("signing_secret");
    }
    cc.team_id = chat.String("team_id");
    cc.default_channel = chat.String("default_channel", "console");
  } else {
    chat.Error("kind", "must be \"slack\", \"mattermost\" or \"console\"");
  }
  cc.admins = chat.StringList("admins");
  cc.ca_file = chat.String("ca_file");
  ConfigSection rate = chat.Child("rate_limit");
  cc.rate_limit.per_second = rate.Number("per_second", 1.0, 0.01, 10'000);
  cc.rate_limit.burst = rate.Number("burst", 3.0, 1, 100'000);
}

}  // namespace

Result<Config> ParseConfig(const std::string& text, const EnvLookup& env) {
  json doc = json::parse(text, nullptr, false, /*ignore_comments=*/true);
  if (doc.is_discarded()) return Status::Invalid("config: not valid JSON");
  if (!doc.is_object()) return Status::Invalid("config: the top level must be a JSON object");
  std::vector<std::string> errors;
  ExpandEnv(doc, env, "", errors);

  Config c;
  ConfigSection root(doc, "", errors);
  ConfigSection listen = root.Child("listen");
  c.listen.host = listen.String("host", "0.0.0.0");
  c.listen.port = static_cast<int>(listen.Int("port", 8080, 0, 65535));
  c.listen.tls_cert = listen.String("tls_cert");
  c.listen.tls_key = listen.String("tls_key");
  if (c.listen.tls_cert.empty() != c.listen.tls_key.empty()) {
    listen.Error(c.listen.tls_cert.empty() ? "tls_cert" : "tls_key",
                 "tls_cert and tls_key go together");
  }
  c.listen.max_body_bytes = listen.Int("max_body_bytes", 1 << 20, 1024, 64LL << 20);
  c.listen.metrics_port = static_cast<int>(listen.Int("metrics_port", 0, 0, 65535));
  c.listen.threads = static_cast<int>(listen.Int("threads", 64, 2, 1024));
  c.listen.read_timeout_s = static_cast<int>(listen.Int("read_timeout_seconds", 10, 1, 300));
  c.listen.write_timeout_s = static_cast<int>(listen.Int("write_timeout_seconds", 10, 1, 300));
  c.listen.request_timeout_s = static_cast<int>(listen.Int("request_timeout_seconds", 20, 1, 600));
  c.listen.max_queued_connections =
      static_cast<int>(listen.Int("max_queued_connections", 64, 0, 100'000));
  c.listen.max_connections_per_source =
      static_cast<int>(listen.Int("max_connections_per_source", 32, 0, 100'000));
  c.listen.max_headers = static_cast<int>(listen.Int("max_headers", 100, 10, 10'000));
  c.listen.max_header_bytes = listen.Int("max_header_bytes", 32 * 1024, 1024, 1 << 20);
  ConfigSection source_limit = listen.Child("rate_limit_per_source");
  c.listen.rate_limit_per_second = source_limit.Number("per_second", 100, 0, 1e6);
  c.listen.rate_limit_burst = source_limit.Number("burst", 500, 1, 1e7);
  if (listen.Has("trusted_proxies"))
    c.listen.trusted_proxies = listen.StringList("trusted_proxies");
  if (auto proxies = security::TrustedProxies::Parse(c.listen.trusted_proxies); !proxies.ok()) {
    listen.Error("trusted_proxies", proxies.status().message());
  }

  if (!root.Has("database")) root.Error("database", "required");
  c.database = root.String("database", "duplex.db");
  if (c.database.empty()) root.Error("database", "must not be empty");
  c.synchronous = root.String("database_synchronous", "FULL");
  if (c.synchronous != "FULL" && c.synchronous != "NORMAL") {
    root.Error("database_synchronous", "must be \"FULL\" or \"NORMAL\"");
  }
  c.group_commit = root.Bool("database_group_commit", true);
  c.public_url = root.Url("public_url", "");

  if (!root.Has("chat")) root.Error("chat", "required");
  ParseChat(root.Child("chat"), c);

  if (doc.contains("platforms")) {
    if (!doc["platforms"].is_object()) {
      root.Error("platforms", "must be an object");
    } else {
      c.platforms = doc["platforms"];
      for (auto it = c.platforms.begin(); it != c.platforms.end(); ++it) {
        const PlatformEntry* entry = FindPlatform(it.key());
        if (entry == nullptr) {
          std::string known;
          for (const auto& e : KnownPlatforms()) known += (known.empty() ? "" : ", ") + e.name;
          errors.push_back("platforms." + it.key() + ": unknown platform (known: " + known + ")");
          continue;
        }
        // Build once to validate; the app builds its own set.
        entry->factory(it.value(), "platforms." + it.key(), errors, nullptr);
      }
    }
  }

  ConfigSection sla = root.Child("sla");
  c.sla.first_response_minutes = static_cast<int>(sla.Int("first_response_minutes", 20, 1, 100'000));
  c.sla.remind_before_minutes = static_cast<int>(sla.Int("remind_before_minutes", 5, 0, 100'000));
  c.sla.check_seconds = static_cast<int>(sla.Int("check_seconds", 15, 1, 3600));
  if (doc.contains("sla") && doc["sla"].is_object() && doc["sla"].contains("routes")) {
    const json& routes = doc["sla"]["routes"];
    if (!routes.is_object()) {
      sla.Error("routes", "must be an object of route name → minutes");
    } else {
      ConfigSection by_route(routes, "sla.routes", errors);
      for (auto it = routes.begin(); it != routes.end(); ++it) {
        if (it.value().is_null()) by_route.Error(it.key(), "must be an integer");
        c.sla.route_minutes[it.key()] = static_cast<int>(
            by_route.Int(it.key().c_str(), c.sla.first_response_minutes, 1, 100'000));
      }
    }
  }
  c.vip_followers = root.Int("vip_followers", 10'000, 0, INT64_MAX);
  ConfigSection delivery = root.Child("delivery");
  c.delivery_threads = static_cast<int>(delivery.Int("threads", 4, 1, 64));
  ConfigSection prate = delivery.Child("platform_rate_limit");
  c.platform_rate_limit.per_second = prate.Number("per_second", 5.0, 0.01, 10'000);
  c.platform_rate_limit.burst = prate.Number("burst", 10.0, 1, 100'000);

  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
    return Status::Invalid(message);
  }
  return c;
}

namespace {

Result<std::string> ReadConfigText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid("cannot read config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  auto text = ReadConfigText(path);
  if (!text.ok()) return text.status();
  return ParseConfig(*text, env);
}

Result<json> LoadConfigDocument(const std::string& path, std::vector<std::string>& unset,
                                const EnvLookup& env) {
  auto text = ReadConfigText(path);
  if (!text.ok()) return text.status();
  json doc = json::parse(*text, nullptr, false, /*ignore_comments=*/true);
  if (doc.is_discarded()) return Status::Invalid("config: not valid JSON");
  if (!doc.is_object()) return Status::Invalid("config: the top level must be a JSON object");
  ExpandEnv(doc, env, "", unset);
  return doc;
}

}  // namespace duplex
