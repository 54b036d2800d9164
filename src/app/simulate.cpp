// `duplex simulate <platform>`: a correctly signed sample webhook sent to a running server,
// built by the platform's own connector so it matches what the platform would send.
#include <iostream>

#include "app/cli.h"
#include "app/config.h"
#include "app/httplib_client.h"
#include "core/clock.h"
#include "platforms/registry.h"
#include "security/crypto.h"

namespace duplex {

int RunSimulate(const char* platform, const char* config_path, const char* text, const char* url) {
  auto config = LoadConfigFile(config_path);
  if (!config.ok()) return ConfigError(config_path, config.status());
  const PlatformEntry* entry = FindPlatform(platform);
  if (entry == nullptr) {
    std::cerr << "duplex: unknown platform '" << platform << "'\n";
    return 2;
  }
  if (!config->platforms.contains(platform)) {
    std::cerr << "duplex: platform '" << platform << "' is not configured in " << config_path
              << " (add platforms." << platform << ")\n";
    return 2;
  }
  std::vector<std::string> errors;
  auto connector = entry->factory(config->platforms[platform], std::string("platforms.") + platform, errors, nullptr);
  if (!connector) {
    std::cerr << "duplex: " << (errors.empty() ? "cannot build connector" : errors.front()) << "\n";
    return 2;
  }
  std::string base = url;
  if (base.empty()) {
    std::string host = config->listen.host == "0.0.0.0" || config->listen.host.empty() ? "127.0.0.1"
                                                                                       : config->listen.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    base = (config->listen.tls_cert.empty() ? "http://" : "https://") + host + ":" +
           std::to_string(config->listen.port);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string body_text = *text ? text : "Hello from duplex simulate: is this thing on?";
  SystemClock clock;
  std::string event_id = "sim-" + security::HexEncode(security::RandomBytes(8));
  HttpRequest req = connector->SampleWebhook(base, body_text, event_id, clock.NowMs());
  HttplibClient http;
  HttpResult res = http.Send(req);
  if (!res.ok()) {
    std::cerr << "duplex: could not reach " << req.url << ": " << res.error_message << "\n";
    return 1;
  }
  std::cout << "POST " << req.url << " -> " << res.response.status << " " << res.response.body << "\n";
  return res.response.status >= 200 && res.response.status < 300 ? 0 : 1;
}

}  // namespace duplex
