#include "platforms/registry.h"

#include "platforms/generic/generic_connector.h"
#include "platforms/github/github_connector.h"
#include "platforms/meta/meta_connector.h"
#include "platforms/telegram/telegram_connector.h"
#include "platforms/x/x_connector.h"

namespace duplex {

const std::vector<PlatformEntry>& KnownPlatforms() {
  static const std::vector<PlatformEntry> entries = {
      {"generic", MakeGenericConnector, {"secret"}},
      {"x",
       MakeXConnector,
       {"consumer_secret", "consumer_key", "bearer_token", "client_secret", "refresh_token",
        "access_token", "access_token_secret"}},
      {"telegram", MakeTelegramConnector, {"bot_token", "secret_token"}},
      {"meta", MakeMetaConnector, {"app_secret", "verify_token", "page_token", "whatsapp_token"}},
      {"github", MakeGitHubConnector, {"secret", "token"}},
  };
  return entries;
}

const PlatformEntry* FindPlatform(const std::string& name) {
  for (const auto& e : KnownPlatforms()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace duplex
