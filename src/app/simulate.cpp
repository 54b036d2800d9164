// The local round trip without any real platform or chat, each side played by a command:
// - `duplex simulate <platform>`: a correctly signed sample webhook, as the platform sends it;
// - `duplex chat <command>`: a staff command, signed as the configured chat signs it;
// - `duplex receive`: the generic platform's reply receiver, verifying each reply's signature.
// Each reads only the parts of the config it needs, so only their variables must be set.
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <iostream>
#include <optional>
#include <thread>

#include "app/cli.h"
#include "app/config.h"
#include "app/httplib_client.h"
#include "core/clock.h"
#include "core/text.h"
#include "platforms/registry.h"
#include "security/crypto.h"
#include "security/signatures.h"
#include "security/untrusted_json.h"

namespace duplex {
namespace {

// Where a client on this machine reaches the server `listen` describes.
std::string LocalBaseUrl(const ListenConfig& listen) {
  std::string host = listen.host == "0.0.0.0" || listen.host == "::" || listen.host.empty()
                         ? "127.0.0.1"
                         : listen.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return (listen.tls_cert.empty() ? "http://" : "https://") + host + ":" +
         std::to_string(listen.port);
}

// Sends `req` to the running server; nullopt, with the reason on stderr, when it cannot be
// reached.
std::optional<HttpResponse> SendToServer(const HttpRequest& req) {
  HttplibClient http;
  HttpResult res = http.Send(req);
  if (!res.ok()) {
    std::cerr << "duplex: could not reach " << req.url << ": " << res.error_message
              << " (is `duplex serve` running?)\n";
    return std::nullopt;
  }
  return res.response;
}

std::string BaseUrl(const Config& config, const std::string& url) {
  std::string base = url.empty() ? LocalBaseUrl(config.listen) : url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::string KnownPlatformNames() {
  std::string known;
  for (const auto& e : KnownPlatforms()) known += (known.empty() ? "" : ", ") + e.name;
  return known;
}

// Meta's other surfaces, for `duplex simulate whatsapp|instagram|messenger`: what Meta sends
// for a customer's first message there, signed with platforms.meta.app_secret. (`meta` is
// a Facebook Page comment, built by the connector.)
const char* const kMetaSurfaces[] = {"whatsapp", "instagram", "messenger"};

bool IsMetaSurface(const std::string& name) {
  return std::find(std::begin(kMetaSurfaces), std::end(kMetaSurfaces), name) !=
         std::end(kMetaSurfaces);
}

HttpRequest MetaSurfaceSample(const std::string& surface, const nlohmann::json& meta,
                              const std::string& base, const std::string& body_text,
                              const std::string& event_id, UnixMs now) {
  using nlohmann::json;
  // Graph ids are numeric: stable digits from the event id, so each run is a new message.
  const std::string digits =
      std::to_string(std::hash<std::string>{}(event_id) % 1'000'000'000'000ULL);
  const std::string page_id =
      meta.value("page_id", "").empty() ? "102030405060708" : meta.value("page_id", "");
  const std::string ig_id =
      meta.value("ig_user_id", "").empty() ? "17841400000000001" : meta.value("ig_user_id", "");
  json body;
  if (surface == "whatsapp") {
    body = {
        {"object", "whatsapp_business_account"},
        {"entry",
         {{{"id", "110200300400500"},
           {"changes",
            {{{"field", "messages"},
              {"value",
               {{"messaging_product", "whatsapp"},
                {"metadata",
                 {{"display_phone_number", "15550783881"}, {"phone_number_id", "106540352242922"}}},
                {"contacts",
                 {{{"profile", {{"name", "Ana Customer"}}}, {"wa_id", "447700900123"}}}},
                {"messages",
                 {{{"from", "447700900123"},
                   {"id", "wamid.SIM" + digits},
                   {"timestamp", std::to_string(now / 1000)},
                   {"type", "text"},
                   {"text", {{"body", body_text}}}}}}}}}}}}}}};
  } else if (surface == "instagram") {
    body = {{"object", "instagram"},
            {"entry",
             {{{"id", ig_id},
               {"time", now / 1000},
               {"changes",
                {{{"field", "comments"},
                  {"value",
                   {{"from", {{"id", "17841455555555555"}, {"username", "ana.customer"}}},
                    {"media", {{"id", "17900000000000777"}, {"media_product_type", "FEED"}}},
                    {"id", "1786" + digits},
                    {"text", body_text}}}}}}}}}};
  } else {
    body = {{"object", "page"},
            {"entry",
             {{{"id", page_id},
               {"time", now},
               {"messaging",
                {{{"sender", {{"id", "24681357902468135"}}},
                  {"recipient", {{"id", page_id}}},
                  {"timestamp", now},
                  {"message", {{"mid", "m_SIM" + digits}, {"text", body_text}}}}}}}}}};
  }
  HttpRequest req;
  req.url = base + "/webhooks/meta";
  req.body = security::DumpJson(body);
  req.headers = {{"X-Hub-Signature-256",
                  security::SignHubSignature256(meta.value("app_secret", ""), req.body)}};
  return req;
}

}  // namespace

int RunSimulate(const char* name, const char* config_path, const char* text, const char* url) {
  const std::string surface = name;
  const char* platform = IsMetaSurface(surface) ? "meta" : name;
  const PlatformEntry* entry = FindPlatform(platform);
  if (entry == nullptr) {
    std::cerr << "duplex: unknown platform '" << name << "' (known: " << KnownPlatformNames();
    for (const char* s : kMetaSurfaces) std::cerr << ", " << s;
    std::cerr << ")\n";
    return 2;
  }
  auto config = LoadConfigParts(config_path, {"listen", std::string("platforms.") + platform});
  if (!config.ok()) return ConfigError(config_path, config.status());
  if (!config->platforms.contains(platform)) {
    std::cerr << "duplex: platform '" << platform << "' is not configured in " << config_path
              << " (add platforms." << platform << ")\n";
    return 2;
  }
  std::vector<std::string> errors;
  auto connector = entry->factory(config->platforms[platform], std::string("platforms.") + platform,
                                  errors, nullptr);
  if (!connector) {
    std::cerr << "duplex: " << (errors.empty() ? "cannot build connector" : errors.front()) << "\n";
    return 2;
  }
  const std::string base = BaseUrl(*config, url);
  std::string body_text = *text ? text : "Hello from duplex simulate: is this thing on?";
  SystemClock clock;
  std::string event_id = "sim-" + security::HexEncode(security::RandomBytes(8));
  HttpRequest req = IsMetaSurface(surface)
                        ? MetaSurfaceSample(surface, config->platforms["meta"], base, body_text,
                                            event_id, clock.NowMs())
                        : connector->SampleWebhook(base, body_text, event_id, clock.NowMs());
  auto res = SendToServer(req);
  if (!res) return 1;
  std::cout << "POST " << req.url << " -> " << res->status << " " << res->body << "\n";
  return res->status >= 200 && res->status < 300 ? 0 : 1;
}

int RunChat(const std::string& config_path, const std::string& command, const std::string& user,
            const std::string& channel, const std::string& url) {
  auto config = LoadConfigParts(config_path, {"listen", "chat"});
  if (!config.ok()) return ConfigError(config_path, config.status());
  const ChatConfig& chat = config->chat;
  if (chat.kind == "mattermost") {
    std::cerr << "duplex: chat.kind is \"mattermost\": send commands from Mattermost (duplex chat "
                 "signs commands as Slack does, for \"console\" and \"slack\")\n";
    return 2;
  }
  if (chat.signing_secret.empty()) {
    std::cerr << "duplex: " << config_path
              << " has no chat.signing_secret, so the server accepts no commands: add one "
                 "(16+ bytes, e.g. from `openssl rand -hex 16`) and restart `duplex serve`\n";
    return 2;
  }
  SystemClock clock;
  const std::string form =
      "team_id=" + text::UrlEncode(chat.team_id) +
      "&channel_id=" + text::UrlEncode(channel.empty() ? chat.default_channel : channel) +
      "&user_id=" + text::UrlEncode(user) + "&user_name=" + text::UrlEncode(user) +
      "&command=%2Fduplex&text=" + text::UrlEncode(command) + "&response_url=&trigger_id=cli-" +
      security::HexEncode(security::RandomBytes(8));
  const std::string ts = std::to_string(clock.NowSeconds());
  HttpRequest req;
  req.url = BaseUrl(*config, url) + "/chat/slack/commands";
  req.content_type = "application/x-www-form-urlencoded";
  req.body = form;
  req.headers = {{"X-Slack-Request-Timestamp", ts},
                 {"X-Slack-Signature", security::SignSlackV0(chat.signing_secret, ts, form)}};
  auto res = SendToServer(req);
  if (!res) return 1;
  auto answer = nlohmann::json::parse(res->body, nullptr, false);
  const bool has_text = answer.is_object() && answer.contains("text") && answer["text"].is_string();
  const bool has_error =
      answer.is_object() && answer.contains("error") && answer["error"].is_string();
  const std::string shown = has_text    ? answer["text"].get<std::string>()
                            : has_error ? answer["error"].get<std::string>()
                                        : res->body;
  const bool ok = res->status >= 200 && res->status < 300;
  (ok ? std::cout : std::cerr) << (ok ? "" : "duplex: HTTP " + std::to_string(res->status) + ": ")
                               << shown << "\n";
  return ok ? 0 : 1;
}

int RunReceive(const std::string& config_path) {
  auto config = LoadConfigParts(config_path, {"platforms.generic"});
  if (!config.ok()) return ConfigError(config_path, config.status());
  if (!config->platforms.contains("generic")) {
    std::cerr << "duplex: " << config_path << " has no platforms.generic to receive replies for\n";
    return 2;
  }
  const std::string secret = config->platforms["generic"].value("secret", "");
  const std::string reply_url = config->platforms["generic"].value("reply_url", "");
  ParsedUrl where;
  if (reply_url.empty() || !ParseUrl(reply_url, where) || where.scheme != "http") {
    std::cerr << "duplex: platforms.generic.reply_url must be an http:// URL on this machine "
                 "for duplex receive (it is \""
              << reply_url << "\")\n";
    return 2;
  }
  std::string path = where.path_and_query.substr(0, where.path_and_query.find('?'));
  std::string host = where.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  httplib::Server server;
  std::mutex out_mu;
  server.Post(path, [&](const httplib::Request& req, httplib::Response& res) {
    SystemClock clock;
    Status s = security::VerifyStandardWebhook(
        secret, req.get_header_value("webhook-id"), req.get_header_value("webhook-timestamp"),
        req.get_header_value("webhook-signature"), req.body, clock.NowSeconds());
    std::lock_guard lock(out_mu);
    if (!s.ok()) {
      std::cout << "refused a request with a bad signature: " << s.message() << "\n" << std::flush;
      res.status = 401;
      return;
    }
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    auto field = [&body](const char* key) {
      return body.is_object() && body.contains(key) && body[key].is_string()
                 ? body[key].get<std::string>()
                 : std::string();
    };
    std::cout << "reply " << field("id") << " to conversation " << field("conversation")
              << " (in reply to " << field("in_reply_to") << "), signature ok:\n  " << field("text")
              << "\n"
              << std::flush;
    res.set_content(security::DumpJson(nlohmann::json{{"id", field("id")}}), "application/json");
  });
  if (!server.bind_to_port(host.c_str(), where.port)) {
    std::cerr << "duplex: cannot listen on " << where.host << ":" << where.port
              << " (in use, or not an address of this machine)\n";
    return 1;
  }
  std::thread listener([&server] { server.listen_after_bind(); });
  std::cout << "duplex receive: listening on " << reply_url
            << " for replies to the generic platform (Ctrl-C to stop)\n"
            << std::flush;
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop();
  listener.join();
  return 0;
}

}  // namespace duplex
