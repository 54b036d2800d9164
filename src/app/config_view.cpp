#include "app/config_view.h"

#include <algorithm>
#include <cctype>

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

// scheme://user:password@host/... -> scheme://user:***@host/...
std::string RedactUrlPassword(const std::string& s) {
  std::size_t scheme = s.find("://");
  if (scheme == std::string::npos) return s;
  std::size_t start = scheme + 3;
  std::size_t end = s.find_first_of("/?#", start);
  std::size_t at = s.rfind('@', end == std::string::npos ? s.size() : end);
  if (at == std::string::npos || at < start) return s;
  std::size_t colon = s.find(':', start);
  if (colon == std::string::npos || colon > at) return s;
  return s.substr(0, colon + 1) + kRedacted + s.substr(at);
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
    node = RedactUrlPassword(node.get<std::string>());
  }
}

}  // namespace

json EffectiveConfig(const Config& c, const json& document) {
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
        {"write_timeout_seconds", c.listen.write_timeout_s}}},
      {"database", c.database},
      {"database_synchronous", c.synchronous},
      {"database_group_commit", c.group_commit},
      {"public_url", c.public_url},
      {"chat", ChatJson(c.chat)},
      {"platforms", c.platforms},
      {"sla",
       {{"first_response_minutes", c.sla.first_response_minutes},
        {"remind_before_minutes", c.sla.remind_before_minutes}}},
      {"vip_followers", c.vip_followers},
      {"delivery",
       {{"threads", c.delivery_threads}, {"platform_rate_limit", RateJson(c.platform_rate_limit)}}},
  };
  json out = document.is_object() ? document : json::object();
  Overlay(out, effective);
  return out;
}

void RedactSecrets(json& document) {
  if (document.contains("platforms") && document["platforms"].is_object()) {
    for (auto it = document["platforms"].begin(); it != document["platforms"].end(); ++it) {
      const PlatformEntry* entry = FindPlatform(it.key());
      if (entry == nullptr || !it.value().is_object()) continue;
      for (const auto& key : entry->secret_keys) {
        if (it.value().contains(key)) Mask(it.value()[key]);
      }
    }
  }
  if (document.contains("chat") && document["chat"].is_object()) {
    for (const char* key : {"bot_token", "signing_secret", "command_token"}) {
      if (document["chat"].contains(key)) Mask(document["chat"][key]);
    }
  }
  RedactTree(document);
}

}  // namespace duplex
