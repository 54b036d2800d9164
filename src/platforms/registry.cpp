#include "platforms/registry.h"

#include "platforms/generic/generic_connector.h"
#include "platforms/github/github_connector.h"
#include "platforms/meta/meta_connector.h"
#include "platforms/telegram/telegram_connector.h"
#include "platforms/x/x_connector.h"

namespace duplex {

const std::vector<PlatformEntry>& KnownPlatforms() {
  static const std::vector<PlatformEntry> entries = {
      {kGenericPlatform, MakeGenericConnector, {"secret"}},
      {kXPlatform,
       MakeXConnector,
       {"consumer_secret", "consumer_key", "bearer_token", "client_secret", "refresh_token",
        "access_token", "access_token_secret"}},
      {kTelegramPlatform, MakeTelegramConnector, {"bot_token", "secret_token"}},
      {kMetaPlatform,
       MakeMetaConnector,
       {"app_secret", "verify_token", "page_token", "whatsapp_token"}},
      {kGitHubPlatform, MakeGitHubConnector, {"secret", "token"}},
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
