#include "app/config_schema.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "platforms/meta/meta_connector.h"

namespace duplex {

using nlohmann::json;

namespace {

constexpr double kNoMax = static_cast<double>(std::numeric_limits<std::int64_t>::max());

std::vector<ConfigKey> BuildSchema() {
  using K = KeyShape;
  std::vector<ConfigKey> s = {
      {"listen", K::kObject, json::object()},
      {"listen.host", K::kString, "0.0.0.0"},
      {"listen.port", K::kInt, 8080, 0, 65535},
      {"listen.tls_cert", K::kString, ""},
      {"listen.tls_key", K::kString, ""},
      {"listen.max_body_bytes", K::kInt, 1 << 20, 1024, 64 << 20},
      {"listen.metrics_port", K::kInt, 0, 0, 65535},
      {"listen.threads", K::kInt, 64, 2, 1024},
      {"listen.read_timeout_seconds", K::kInt, 10, 1, 300},
      {"listen.write_timeout_seconds", K::kInt, 10, 1, 300},
      {"listen.request_timeout_seconds", K::kInt, 20, 1, 600},
      {"listen.max_queued_connections", K::kInt, 64, 0, 100'000},
      {"listen.max_connections_per_source", K::kInt, 32, 0, 100'000},
      {"listen.max_headers", K::kInt, 100, 10, 10'000},
      {"listen.max_header_bytes", K::kInt, 32 * 1024, 1024, 1 << 20},
      {"listen.rate_limit_per_source", K::kObject, json::object()},
      {"listen.rate_limit_per_source.per_second", K::kNumber, 100, 0, 1e6},
      {"listen.rate_limit_per_source.burst", K::kNumber, 500, 1, 1e7},
      {"listen.trusted_proxies", K::kStringOrList, {"127.0.0.1", "::1"}},

      {"database", K::kString, nullptr},
      {"database_synchronous", K::kString, "FULL"},
      {"database_group_commit", K::kBool, true},
      {"public_url", K::kString, ""},
      {"vip_followers", K::kInt, 10'000, 0, kNoMax},

      {"chat", K::kObject, nullptr},
      {"chat.kind", K::kString, "slack"},
      {"chat.api_base", K::kString, "https://slack.com/api", 0, 0, false, "slack"},
      {"chat.bot_token", K::kString, nullptr, 0, 0, true},
      {"chat.signing_secret", K::kString, nullptr, 0, 0, true},
      {"chat.command_token", K::kStringOrList, nullptr, 0, 0, true},
      {"chat.team_id", K::kString, "", 0, 0, false, "console"},
      {"chat.default_channel", K::kString, "console", 0, 0, false, "console"},
      {"chat.admins", K::kStringOrList, json::array()},
      {"chat.rate_limit", K::kObject, json::object()},
      {"chat.rate_limit.per_second", K::kNumber, 1, 0.01, 10'000},
      {"chat.rate_limit.burst", K::kNumber, 3, 1, 100'000},
      {"chat.ca_file", K::kString, ""},

      {"platforms", K::kObject, json::object()},

      {"sla", K::kObject, json::object()},
      {"sla.first_response_minutes", K::kInt, 20, 1, 100'000},
      {"sla.remind_before_minutes", K::kInt, 5, 0, 100'000},
      {"sla.check_seconds", K::kInt, 15, 1, 3600},
      {"sla.routes", K::kRouteMinutes, json::object(), 1, 100'000},

      {"delivery", K::kObject, json::object()},
      {"delivery.enabled", K::kBool, true},
      {"delivery.threads", K::kInt, 4, 1, 64},
      {"delivery.lease_seconds", K::kInt, 30, 5, 3600},
      {"delivery.platform_rate_limit", K::kObject, json::object()},
      {"delivery.platform_rate_limit.per_second", K::kNumber, 5, 0.01, 10'000},
      {"delivery.platform_rate_limit.burst", K::kNumber, 10, 1, 100'000},
  };
  // Each platform's section: null default, as a platform without one is off.
  auto platform = [&s](const std::string& name, std::vector<ConfigKey> keys) {
    s.push_back({"platforms." + name, K::kObject, nullptr});
    keys.push_back({"ca_file", K::kString, ""});
    keys.push_back({"timeout_ms", K::kInt, 10'000, 100, 120'000});
    for (auto& k : keys) {
      k.path = "platforms." + name + "." + k.path;
      s.push_back(std::move(k));
    }
  };
  platform("generic", {{"secret", K::kString, nullptr, 0, 0, true},  //
                       {"reply_url", K::kString, ""}});
  platform("x", {{"consumer_secret", K::kString, nullptr, 0, 0, true},
                 {"api_base", K::kString, "https://api.x.com"},
                 {"account_id", K::kString, ""},
                 {"bearer_token", K::kString, "", 0, 0, true},
                 {"client_id", K::kString, ""},
                 {"client_secret", K::kString, "", 0, 0, true},
                 {"refresh_token", K::kString, "", 0, 0, true},
                 {"token_file", K::kString, ""},
                 {"consumer_key", K::kString, "", 0, 0, true},
                 {"access_token", K::kString, "", 0, 0, true},
                 {"access_token_secret", K::kString, "", 0, 0, true}});
  platform("telegram", {{"bot_token", K::kString, nullptr, 0, 0, true},
                        {"secret_token", K::kString, nullptr, 0, 0, true},
                        {"api_base", K::kString, "https://api.telegram.org"},
                        {"bot_username", K::kString, ""}});
  platform("meta", {{"app_secret", K::kString, nullptr, 0, 0, true},
                    {"verify_token", K::kString, nullptr, 0, 0, true},
                    {"page_token", K::kString, "", 0, 0, true},
                    {"whatsapp_token", K::kString, "", 0, 0, true},
                    {"api_base", K::kString, kDefaultGraphApiBase},
                    {"messenger_human_agent", K::kBool, false},
                    {"page_id", K::kString, ""},
                    {"ig_user_id", K::kString, ""},
                    {"fetch_timeout_ms", K::kInt, 5'000, 100, 15'000}});
  // graphql_url has no default of its own: it follows api_base (GitHubGraphQlUrl).
  platform("github", {{"secret", K::kString, nullptr, 0, 0, true},
                      {"token", K::kString, "", 0, 0, true},
                      {"api_base", K::kString, "https://api.github.com"},
                      {"graphql_url", K::kString, nullptr},
                      {"bot_login", K::kString, ""},
                      {"app_id", K::kInt, nullptr, 1, kNoMax}});
  return s;
}

std::string JoinPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string Parent(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string LastSegment(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::vector<const ConfigKey*> Children(const std::string& parent) {
  std::vector<const ConfigKey*> out;
  for (const auto& k : ConfigSchema()) {
    if (Parent(k.path) == parent) out.push_back(&k);
  }
  return out;
}

const char* ShortShape(KeyShape shape) {
  switch (shape) {
    case KeyShape::kObject:
      return "object";
    case KeyShape::kRouteMinutes:
      return "object";
    case KeyShape::kString:
      return "string";
    case KeyShape::kInt:
      return "integer";
    case KeyShape::kNumber:
      return "number";
    case KeyShape::kBool:
      return "boolean";
    case KeyShape::kStringOrList:
      return "string or list of strings";
  }
  return "value";
}

bool Fits(KeyShape shape, const json& v) {
  switch (shape) {
    case KeyShape::kObject:
    case KeyShape::kRouteMinutes:
      return v.is_object();
    case KeyShape::kString:
      return v.is_string();
    case KeyShape::kInt:
      return v.is_number_integer();
    case KeyShape::kNumber:
      return v.is_number();
    case KeyShape::kBool:
      return v.is_boolean();
    case KeyShape::kStringOrList:
      return v.is_string() || (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& e) {
                                 return e.is_string();
                               }));
  }
  return false;
}

// The nearest known key to a misspelt one: a sibling within a few edits, else a key of the
// same name elsewhere (top-level "port" → listen.port).
std::string Suggest(const std::string& parent, const std::string& key) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
  for (const ConfigKey* k : Children(parent)) {
    const std::size_t d = EditDistance(key, LastSegment(k->path));
    if (d < best_distance) {
      best_distance = d;
      best = k->path;
    }
  }
  if (!best.empty()) return best;
  for (const auto& k : ConfigSchema()) {
    if (LastSegment(k.path) == key && k.path.rfind("platforms.", 0) != 0) return k.path;
  }
  return best;
}

void CheckObject(const json& object, const std::string& path, std::vector<std::string>& errors) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string child = JoinPath(path, it.key());
    const ConfigKey* spec = FindConfigKey(child);
    if (spec == nullptr) {
      std::string problem = path == "platforms" ? "unknown platform" : "unknown key";
      const std::string near = Suggest(path, it.key());
      if (!near.empty()) problem += "; did you mean `" + near + "`?";
      if (path == "platforms") {
        std::string known;
        for (const ConfigKey* k : Children("platforms")) {
          known += (known.empty() ? "" : ", ") + LastSegment(k->path);
        }
        problem += " (known: " + known + ")";
      }
      errors.push_back(child + ": " + problem);
      continue;
    }
    const json& value = it.value();
    if (value.is_null()) continue;
    if (!Fits(spec->shape, value)) {
      errors.push_back(child + ": must be " + ShapeDescription(*spec));
      continue;
    }
    if (spec->shape == KeyShape::kObject) {
      CheckObject(value, child, errors);
    } else if (spec->shape == KeyShape::kRouteMinutes) {
      for (auto r = value.begin(); r != value.end(); ++r) {
        if (!r.value().is_number_integer()) {
          errors.push_back(child + "." + r.key() + ": must be an integer");
        }
      }
    }
  }
}

bool DefaultApplies(const ConfigKey& k, const json& doc) {
  if (k.default_value.is_null()) return false;
  if (k.chat_kind.empty()) return true;
  auto chat = doc.find("chat");
  if (chat == doc.end() || !chat->is_object()) return false;
  auto kind = chat->find("kind");
  return kind != chat->end() && kind->is_string() && *kind == k.chat_kind;
}

json::json_pointer Pointer(const std::string& path) {
  std::string p = "/" + path;
  std::replace(p.begin(), p.end(), '.', '/');
  return json::json_pointer(p);
}

}  // namespace

const std::vector<ConfigKey>& ConfigSchema() {
  static const std::vector<ConfigKey> schema = BuildSchema();
  return schema;
}

const ConfigKey* FindConfigKey(const std::string& path) {
  for (const auto& k : ConfigSchema()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

std::string ShapeDescription(const ConfigKey& key) {
  switch (key.shape) {
    case KeyShape::kObject: {
      std::string fields;
      for (const ConfigKey* k : Children(key.path)) {
        if (!fields.empty()) fields += ", ";
        if (fields.size() > 80) return "an object {" + fields + "...}";
        fields += "\"" + LastSegment(k->path) + "\": " + ShortShape(k->shape);
      }
      return "an object {" + fields + "}";
    }
    case KeyShape::kRouteMinutes:
      return "an object of route name → minutes";
    case KeyShape::kString:
      return "a string";
    case KeyShape::kInt:
      return "an integer";
    case KeyShape::kNumber:
      return "a number";
    case KeyShape::kBool:
      return "true or false";
    case KeyShape::kStringOrList:
      return "a string or a list of strings";
  }
  return "a value";
}

void CheckConfigShape(const json& doc, std::vector<std::string>& errors) {
  CheckObject(doc, "", errors);
}

void ApplyConfigDefaults(json& doc) {
  // The schema lists each object before its keys, so a parent with a default exists by the
  // time its keys are filled in; one without (chat, a platform's section) is never created.
  for (const auto& k : ConfigSchema()) {
    if (!DefaultApplies(k, doc)) continue;
    const std::string parent_path = Parent(k.path);
    if (!parent_path.empty() && !doc.contains(Pointer(parent_path))) continue;
    json& parent = parent_path.empty() ? doc : doc[Pointer(parent_path)];
    if (!parent.is_object()) continue;
    const std::string key = LastSegment(k.path);
    if (!parent.contains(key) || parent[key].is_null()) parent[key] = k.default_value;
  }
}

std::size_t EditDistance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

}  // namespace duplex
