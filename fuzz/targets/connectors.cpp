// Fuzz targets for the platform connectors. A connector is built afresh for every input, so
// state a connector learns (Telegram's bot username, X's refreshed token) never makes a run
// depend on the ones before it. The header `x-fuzz-variant` picks a config variant.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_targets.h"
#include "fuzz/targets/fuzz_support.h"

namespace duplex::fuzz {
namespace {

using nlohmann::json;

constexpr const char* kApiBase = "http://127.0.0.1:9";

std::string Variant(const std::uint8_t* data, std::size_t size) {
  return RequestFromBytes(std::string_view(reinterpret_cast<const char*>(data), size), "POST")
      .Header("x-fuzz-variant");
}

int Run(const std::string& platform, const json& config, const std::uint8_t* data,
        std::size_t size) {
  QuietLogs();
  ScriptedHttp http;
  auto connector = MakeConnector(platform, config, &http);
  return RunConnector(*connector, http, data, size);
}

}  // namespace

int FuzzGeneric(const std::uint8_t* data, std::size_t size) {
  return Run("generic",
             {{"secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
              {"reply_url", std::string(kApiBase) + "/replies"}},
             data, size);
}

int FuzzX(const std::uint8_t* data, std::size_t size) {
  json config = {{"consumer_secret", "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"},
                 {"api_base", kApiBase}};
  const std::string variant = Variant(data, size);
  if (variant == "oauth1") {
    config["consumer_key"] = "ck";
    config["access_token"] = "at";
    config["access_token_secret"] = "ats";
  } else if (variant == "refresh") {
    config["client_id"] = "cid";
    config["refresh_token"] = "rt";
  } else {
    config["bearer_token"] = "bt";
  }
  if (variant == "account") config["account_id"] = "2244994945";
  return Run("x", config, data, size);
}

int FuzzMeta(const std::uint8_t* data, std::size_t size) {
  json config = {{"app_secret", "meta-app-secret-for-fuzzing"},
                 {"verify_token", "meta-verify"},
                 {"page_token", "page-token"},
                 {"api_base", kApiBase}};
  if (Variant(data, size) == "ids") {
    config["page_id"] = "1234567890";
    config["ig_user_id"] = "17841400000000000";
  }
  return Run("meta", config, data, size);
}

int FuzzTelegram(const std::uint8_t* data, std::size_t size) {
  json config = {{"bot_token", "123456789:AAEfuzzfuzzfuzz"},
                 {"secret_token", "fuzz-secret-token-16"},
                 {"api_base", kApiBase}};
  if (Variant(data, size) != "getme") config["bot_username"] = "duplex_bot";
  return Run("telegram", config, data, size);
}

int FuzzGitHub(const std::uint8_t* data, std::size_t size) {
  return Run("github",
             {{"secret", "It's a Secret to Everybody"},
              {"token", "ghp_fuzz"},
              {"api_base", kApiBase},
              {"bot_login", "duplex-bot"},
              {"app_id", 12345}},
             data, size);
}

}  // namespace duplex::fuzz
