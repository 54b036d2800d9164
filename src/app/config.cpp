#include "app/config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "app/config_schema.h"
#include "core/config_section.h"
#include "platforms/registry.h"
#include "security/client_address.h"
#include "storage/open_store.h"

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

// Reads of keys whose fallback and bounds are in the schema (config_schema.cpp). The
// defaults are in the document by now; the fallback is what a bad value leaves behind.
const ConfigKey& Spec(const ConfigSection& s, const std::string& key) {
  static const ConfigKey kMissing{"", KeyShape::kString, nullptr};
  const ConfigKey* k = FindConfigKey(s.path().empty() ? key : s.path() + "." + key);
  return k ? *k : kMissing;
}

std::int64_t Bound(double v) {
  return v >= 9.2e18 ? INT64_MAX : static_cast<std::int64_t>(v);
}

std::int64_t Int(ConfigSection& s, const char* key) {
  const ConfigKey& k = Spec(s, key);
  return s.Int(key, k.default_value.is_number() ? k.default_value.get<std::int64_t>() : 0,
               Bound(k.min), Bound(k.max));
}

int SmallInt(ConfigSection& s, const char* key) {
  return static_cast<int>(Int(s, key));
}

double Number(ConfigSection& s, const char* key) {
  const ConfigKey& k = Spec(s, key);
  return s.Number(key, k.default_value.is_number() ? k.default_value.get<double>() : 0, k.min,
                  k.max);
}

std::string String(ConfigSection& s, const char* key) {
  const ConfigKey& k = Spec(s, key);
  return s.String(key, k.default_value.is_string() ? k.default_value.get<std::string>() : "");
}

bool Bool(ConfigSection& s, const char* key) {
  const ConfigKey& k = Spec(s, key);
  return s.Bool(key, k.default_value.is_boolean() && k.default_value.get<bool>());
}

ChatRateLimit Rate(ConfigSection s) {
  return {Number(s, "per_second"), Number(s, "burst")};
}

void ParseChat(ConfigSection chat, Config& c) {
  ChatConfig& cc = c.chat;
  cc.kind = String(chat, "kind");
  if (cc.kind == "slack") {
    cc.api_base = chat.Url("api_base", "");
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
    // Local use: posts go to stdout. Commands are accepted only when they are signed with
    // signing_secret, as Slack signs them (`duplex chat` and the demo sign theirs so):
    // without it the server takes no commands at all.
    cc.signing_secret = chat.String("signing_secret");
    if (!cc.signing_secret.empty() && cc.signing_secret.size() < kMinSecretBytes) {
      chat.ShortSecret("signing_secret");
    }
    cc.team_id = String(chat, "team_id");
    cc.default_channel = String(chat, "default_channel");
  } else {
    chat.Error("kind", "must be \"slack\", \"mattermost\" or \"console\"");
  }
  cc.admins = chat.StringList("admins");
  cc.ca_file = String(chat, "ca_file");
  cc.rate_limit = Rate(chat.Child("rate_limit"));
}

Result<nlohmann::json> ParseConfigJson(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based: the character the parser stopped at.
    const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const std::size_t line_start = at == 0 ? std::string::npos : text.rfind('\n', at - 1);
    const std::size_t line = 1 + static_cast<std::size_t>(std::count(
                                     text.begin(), text.begin() + static_cast<long>(at), '\n'));
    const std::size_t column = line_start == std::string::npos ? at + 1 : at - line_start;
    std::string what = e.what();
    const std::size_t reason = what.find(": ", what.find("parse error"));
    return Status::Invalid("config: not valid JSON at line " + std::to_string(line) + ", column " +
                           std::to_string(column) +
                           (reason == std::string::npos ? "" : what.substr(reason)));
  }
  if (!doc.is_object()) return Status::Invalid("config: the top level must be a JSON object");
  return doc;
}

Status JoinErrors(const std::vector<std::string>& errors) {
  std::string message;
  for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
  return Status::Invalid(message);
}

}  // namespace

Result<Config> ParseConfig(const std::string& text, const EnvLookup& env) {
  auto parsed = ParseConfigJson(text);
  if (!parsed.ok()) return parsed.status();
  json& doc = *parsed;
  std::vector<std::string> first;
  ExpandEnv(doc, env, "", first);
  CheckConfigShape(doc, first);
  ApplyConfigDefaults(doc);

  Config c;
  std::vector<std::string> errors;
  ConfigSection root(doc, "", errors);
  ConfigSection listen = root.Child("listen");
  c.listen.host = String(listen, "host");
  c.listen.port = SmallInt(listen, "port");
  c.listen.tls_cert = String(listen, "tls_cert");
  c.listen.tls_key = String(listen, "tls_key");
  if (c.listen.tls_cert.empty() != c.listen.tls_key.empty()) {
    listen.Error(c.listen.tls_cert.empty() ? "tls_cert" : "tls_key",
                 "tls_cert and tls_key go together");
  }
  c.listen.max_body_bytes = Int(listen, "max_body_bytes");
  c.listen.metrics_port = SmallInt(listen, "metrics_port");
  c.listen.threads = SmallInt(listen, "threads");
  c.listen.read_timeout_s = SmallInt(listen, "read_timeout_seconds");
  c.listen.write_timeout_s = SmallInt(listen, "write_timeout_seconds");
  c.listen.request_timeout_s = SmallInt(listen, "request_timeout_seconds");
  c.listen.max_queued_connections = SmallInt(listen, "max_queued_connections");
  c.listen.max_connections_per_source = SmallInt(listen, "max_connections_per_source");
  c.listen.max_headers = SmallInt(listen, "max_headers");
  c.listen.max_header_bytes = Int(listen, "max_header_bytes");
  ConfigSection source_limit = listen.Child("rate_limit_per_source");
  c.listen.rate_limit_per_second = Number(source_limit, "per_second");
  c.listen.rate_limit_burst = Number(source_limit, "burst");
  c.listen.trusted_proxies = listen.StringList("trusted_proxies");
  if (auto proxies = security::TrustedProxies::Parse(c.listen.trusted_proxies); !proxies.ok()) {
    listen.Error("trusted_proxies", proxies.status().message());
  }

  if (!root.Has("database")) root.Error("database", "required");
  c.database = String(root, "database");
  if (root.Has("database") && c.database.empty()) root.Error("database", "must not be empty");
  c.synchronous = String(root, "database_synchronous");
  if (c.synchronous != "FULL" && c.synchronous != "NORMAL") {
    root.Error("database_synchronous", "must be \"FULL\" or \"NORMAL\"");
  }
  c.group_commit = Bool(root, "database_group_commit");
  c.public_url = root.Url("public_url", "");

  if (!root.Has("chat")) root.Error("chat", "required");
  ParseChat(root.Child("chat"), c);

  if (doc["platforms"].is_object()) c.platforms = doc["platforms"];
  for (auto it = c.platforms.begin(); it != c.platforms.end(); ++it) {
    // Build once to validate; the app builds its own set. An unknown one is reported above.
    const PlatformEntry* entry = FindPlatform(it.key());
    if (entry != nullptr && it.value().is_object()) {
      entry->factory(it.value(), "platforms." + it.key(), errors, nullptr);
    }
  }

  ConfigSection sla = root.Child("sla");
  c.sla.first_response_minutes = SmallInt(sla, "first_response_minutes");
  c.sla.remind_before_minutes = SmallInt(sla, "remind_before_minutes");
  c.sla.check_seconds = SmallInt(sla, "check_seconds");
  const ConfigKey& route_spec = Spec(sla, "routes");
  ConfigSection by_route = sla.Child("routes");
  const json& routes = doc["sla"].is_object() && doc["sla"]["routes"].is_object()
                           ? doc["sla"]["routes"]
                           : json::object();
  for (auto it = routes.begin(); it != routes.end(); ++it) {
    if (it.value().is_null()) by_route.Error(it.key(), "must be an integer");
    c.sla.route_minutes[it.key()] =
        static_cast<int>(by_route.Int(it.key().c_str(), c.sla.first_response_minutes,
                                      Bound(route_spec.min), Bound(route_spec.max)));
  }
  c.vip_followers = Int(root, "vip_followers");
  ConfigSection delivery = root.Child("delivery");
  c.delivery_enabled = Bool(delivery, "enabled");
  if (!c.delivery_enabled && !c.database.empty() && !storage::IsPostgresUrl(c.database)) {
    delivery.Error("enabled",
                   "false needs a PostgreSQL database shared with instances that send; on SQLite "
                   "nothing would ever be sent");
  }
  c.delivery_threads = SmallInt(delivery, "threads");
  c.delivery_lease_seconds = SmallInt(delivery, "lease_seconds");
  c.platform_rate_limit = Rate(delivery.Child("platform_rate_limit"));

  // A key whose variable is unset or whose value has the wrong shape has said so once: what
  // the checks above add about it (required, too short, not a URL) would only mislead.
  for (const auto& e : errors) {
    const bool follow_on = std::any_of(first.begin(), first.end(), [&e](const std::string& f) {
      const std::string path = f.substr(0, f.find(": "));
      return e.rfind(path, 0) == 0 && e.size() > path.size() &&
             (e[path.size()] == ':' || e[path.size()] == '.' || e[path.size()] == '[');
    });
    if (!follow_on) first.push_back(e);
  }
  if (!first.empty()) return JoinErrors(first);
  c.document = std::move(doc);
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

Result<Config> LoadConfigParts(const std::string& path, const std::vector<std::string>& sections,
                               const EnvLookup& env) {
  auto text = ReadConfigText(path);
  if (!text.ok()) return text.status();
  auto written = ParseConfigJson(*text);
  if (!written.ok()) return written.status();
  json part = {{"database", "(not used)"}, {"chat", {{"kind", "console"}}}};
  for (const auto& section : sections) {
    std::string pointer = "/" + section;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    const json::json_pointer at(pointer);
    if (written->contains(at)) part[at] = (*written)[at];
  }
  return ParseConfig(part.dump(), env);
}

Result<json> LoadConfigDocument(const std::string& path, std::vector<std::string>& unset,
                                const EnvLookup& env) {
  auto text = ReadConfigText(path);
  if (!text.ok()) return text.status();
  auto doc = ParseConfigJson(*text);
  if (doc.ok()) ExpandEnv(*doc, env, "", unset);
  return doc;
}

}  // namespace duplex
