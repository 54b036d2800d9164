#include "app/config_view.h"

#include <algorithm>
#include <cctype>

#include "app/config_schema.h"
#include "platforms/github/github_connector.h"
#include "platforms/registry.h"

namespace duplex {

using nlohmann::json;

namespace {

json RateJson(const ChatRateLimit& r) {
  return {{"per_second", r.per_second}, {"burst", r.burst}};
}

json ChatJson(const ChatConfig& c) {
  json chat = {{"kind", c.kind},
               {"team_id", c.team_id},
               {"default_channel", c.default_channel},
               {"admins", c.admins},
               {"rate_limit", RateJson(c.rate_limit)},
               {"ca_file", c.ca_file}};
  if (c.kind == "slack" || c.kind == "mattermost") {
    chat["api_base"] = c.api_base;
    chat["bot_token"] = c.bot_token;
  }
  if (c.kind == "slack" || c.kind == "console") chat["signing_secret"] = c.signing_secret;
  if (c.kind == "mattermost") chat["command_token"] = c.command_tokens;
  return chat;
}

// Objects merge key by key; anything else in `over` replaces what `base` had.
void Overlay(json& base, const json& over) {
  if (!base.is_object() || !over.is_object()) {
    base = over;
    return;
  }
  for (auto it = over.begin(); it != over.end(); ++it) Overlay(base[it.key()], it.value());
}

bool SecretName(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const char* word : {"token", "secret", "password", "passwd", "private"}) {
    if (key.find(word) != std::string::npos) return true;
  }
  return false;
}

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// scheme://user:password@host/path?key=value#f -> scheme://***@host/path?key=***#f
std::string RedactUrl(const std::string& s) {
  const std::size_t scheme = s.find("://");
  if (scheme == std::string::npos || scheme == 0 ||
      !std::all_of(s.begin(), s.begin() + static_cast<long>(scheme), IsSchemeChar)) {
    return s;
  }
  const std::size_t host = scheme + 3;
  std::size_t end = s.find_first_of("/?#", host);
  if (end == std::string::npos) end = s.size();
  const std::size_t at = s.rfind('@', end - 1);
  std::string out = s.substr(0, host);
  out += at != std::string::npos && at >= host ? std::string(kRedacted) + s.substr(at, end - at)
                                               : s.substr(host, end - host);
  const std::size_t query = s.find('?', end);
  const std::size_t fragment = s.find('#', end);
  if (query == std::string::npos || (fragment != std::string::npos && fragment < query)) {
    return out + s.substr(end);
  }
  out += s.substr(end, query + 1 - end);
  const std::size_t query_end = fragment == std::string::npos ? s.size() : fragment;
  std::size_t item = query + 1;
  while (item <= query_end) {
    std::size_t amp = s.find('&', item);
    if (amp == std::string::npos || amp > query_end) amp = query_end;
    const std::size_t eq = s.find('=', item);
    if (amp > item) {
      out += eq < amp ? s.substr(item, eq + 1 - item) + kRedacted : std::string(kRedacted);
    }
    if (amp < query_end) out += '&';
    item = amp + 1;
  }
  return out + s.substr(query_end);
}

void Mask(json& value) {
  if (value.is_array()) {
    for (auto& v : value) Mask(v);
  } else if (value.is_object()) {
    for (auto& v : value) Mask(v);
  } else if (!value.is_null() &&
             !(value.is_string() && value.get_ref<const std::string&>().empty())) {
    value = kRedacted;
  }
}

void RedactTree(json& node) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (SecretName(it.key())) {
        Mask(it.value());
      } else {
        RedactTree(it.value());
      }
    }
  } else if (node.is_array()) {
    for (auto& v : node) RedactTree(v);
  } else if (node.is_string()) {
    node = RedactUrl(node.get<std::string>());
  }
}

}  // namespace

json EffectiveConfig(const Config& c) {
  json effective = {
      {"listen",
       {{"host", c.listen.host},
        {"port", c.listen.port},
        {"tls_cert", c.listen.tls_cert},
        {"tls_key", c.listen.tls_key},
        {"max_body_bytes", c.listen.max_body_bytes},
        {"metrics_port", c.listen.metrics_port},
        {"threads", c.listen.threads},
        {"read_timeout_seconds", c.listen.read_timeout_s},
        {"write_timeout_seconds", c.listen.write_timeout_s},
        {"request_timeout_seconds", c.listen.request_timeout_s},
        {"max_queued_connections", c.listen.max_queued_connections},
        {"max_connections_per_source", c.listen.max_connections_per_source},
        {"max_headers", c.listen.max_headers},
        {"max_header_bytes", c.listen.max_header_bytes},
        {"rate_limit_per_source",
         {{"per_second", c.listen.rate_limit_per_second}, {"burst", c.listen.rate_limit_burst}}},
        {"trusted_proxies", c.listen.trusted_proxies}}},
      {"database", c.database},
      {"database_synchronous", c.synchronous},
      {"database_group_commit", c.group_commit},
      {"public_url", c.public_url},
      {"chat", ChatJson(c.chat)},
      {"sla",
       {{"first_response_minutes", c.sla.first_response_minutes},
        {"remind_before_minutes", c.sla.remind_before_minutes},
        {"check_seconds", c.sla.check_seconds},
        {"routes", c.sla.route_minutes}}},
      {"vip_followers", c.vip_followers},
      {"delivery",
       {{"threads", c.delivery_threads}, {"platform_rate_limit", RateJson(c.platform_rate_limit)}}},
  };
  json out = c.document.is_object() ? c.document : json::object();
  Overlay(out, effective);
  // The one platform key whose default follows another key.
  if (out["platforms"].contains("github")) {
    json& github = out["platforms"]["github"];
    if (!github.contains("graphql_url") || github["graphql_url"].is_null()) {
      github["graphql_url"] = GitHubGraphQlUrl(github.value("api_base", ""));
    }
  }
  return out;
}

void RedactEnvValues(json& document, const json& unexpanded) {
  if (unexpanded.is_string()) {
    const auto names = EnvReferences(unexpanded.get<std::string>());
    if (names.empty() || (document.is_string() && document.get_ref<const std::string&>().empty())) {
      return;
    }
    std::string from;
    for (const auto& name : names) from += (from.empty() ? "${" : ", ${") + name + "}";
    document = std::string(kRedacted) + "(from " + from + ")";
  } else if (unexpanded.is_object() && document.is_object()) {
    for (auto it = unexpanded.begin(); it != unexpanded.end(); ++it) {
      if (document.contains(it.key())) RedactEnvValues(document[it.key()], it.value());
    }
  } else if (unexpanded.is_array() && document.is_array()) {
    for (std::size_t i = 0; i < unexpanded.size() && i < document.size(); ++i) {
      RedactEnvValues(document[i], unexpanded[i]);
    }
  }
}

void RedactSecrets(json& document) {
  for (const auto& key : ConfigSchema()) {
    if (!key.secret) continue;
    std::string pointer = "/" + key.path;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    const json::json_pointer at(pointer);
    if (document.contains(at)) Mask(document[at]);
  }
  RedactTree(document);
}

}  // namespace duplex
