// The Slack app manifest: one source (deploy/slack/manifest.json), URLs under public_url.
#include <doctest/doctest.h>

#include <set>

#include "chat/slack/slack_manifest.h"
#include "support/test_util.h"

namespace duplex {
namespace {

using nlohmann::ordered_json;

const std::string kManifestFile =
    std::string(DUPLEX_FIXTURES_DIR) + "/../../deploy/slack/manifest.json";

std::vector<std::string> Urls(const ordered_json& m) {
  std::vector<std::string> urls;
  for (const auto& c : m["features"]["slash_commands"]) urls.push_back(c["url"]);
  urls.push_back(m["settings"]["event_subscriptions"]["request_url"]);
  urls.push_back(m["settings"]["interactivity"]["request_url"]);
  return urls;
}

std::set<std::string> Strings(const ordered_json& array) {
  std::set<std::string> out;
  for (const auto& s : array) out.insert(s.get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("slack manifest: the compiled-in manifest is deploy/slack/manifest.json, byte for byte") {
  auto placeholder = SlackManifest(kManifestPlaceholderUrl);
  REQUIRE(placeholder.ok());
  CHECK(placeholder->dump(2) + "\n" == test::ReadFile(kManifestFile));
}

TEST_CASE("slack manifest: commands, events, interactivity and exactly the scopes duplex uses") {
  const ordered_json& m = SlackManifestTemplate();
  CHECK(m["display_information"]["name"] == "duplex");
  CHECK(m["features"]["bot_user"]["display_name"] == "duplex");
  const auto& commands = m["features"]["slash_commands"];
  REQUIRE(commands.size() == 2);
  std::set<std::string> names;
  for (const auto& c : commands) {
    names.insert(c["command"].get<std::string>());
    CHECK(c["should_escape"] == true);  // duplex parses <#C…|name> and <@U…|name>
    CHECK(c["url"] == std::string(kManifestPlaceholderUrl) + "/chat/slack/commands");
    CHECK_FALSE(c["description"].get<std::string>().empty());
  }
  CHECK(names == std::set<std::string>{"/duplex", "/reply"});
  const auto& events = m["settings"]["event_subscriptions"];
  CHECK(events["request_url"] == std::string(kManifestPlaceholderUrl) + "/chat/slack/events");
  CHECK(Strings(events["bot_events"]) ==
        std::set<std::string>{"message.channels", "message.groups", "app_mention"});
  CHECK(m["settings"]["interactivity"]["is_enabled"] == true);
  CHECK(m["settings"]["interactivity"]["request_url"] ==
        std::string(kManifestPlaceholderUrl) + "/chat/slack/interactions");
  // message.channels needs channels:history, message.groups groups:history, app_mention
  // app_mentions:read; commands and chat:write for the slash commands, the posts and the
  // ephemeral answers; users:read for users.info (names of people mentioned in replies).
  CHECK(Strings(m["oauth_config"]["scopes"]["bot"]) ==
        std::set<std::string>{"commands", "chat:write", "channels:history", "groups:history",
                              "app_mentions:read", "users:read"});
  CHECK_FALSE(m["oauth_config"]["scopes"].contains("user"));
  CHECK(m["settings"]["socket_mode_enabled"] == false);
  CHECK(m["settings"]["token_rotation_enabled"] == false);  // duplex keeps one xoxb token
  // Limits of Slack's manifest schema (v1) that are easy to trip over.
  CHECK(m["display_information"]["name"].get<std::string>().size() <= 35);
  CHECK(m["display_information"]["description"].get<std::string>().size() <= 140);
}

TEST_CASE("slack manifest: every URL moves under public_url, path and trailing slash handled") {
  auto m = SlackManifest("https://support.acme.test/duplex/");
  REQUIRE(m.ok());
  for (const auto& url : Urls(*m)) {
    CHECK_MESSAGE(url.rfind("https://support.acme.test/duplex/chat/slack/", 0) == 0, url);
  }
  CHECK(m->dump().find(kManifestPlaceholderUrl) == std::string::npos);
  CHECK((*m)["features"]["slash_commands"][0]["command"] == "/duplex");
}

TEST_CASE("slack manifest: an empty or non-http public_url is refused") {
  for (const char* bad : {"", "duplex.example.com", "ftp://x.test", "https://"}) {
    auto m = SlackManifest(bad);
    CHECK_FALSE(m.ok());
    CHECK(m.status().message().find("public_url") != std::string::npos);
  }
}

}  // namespace duplex
