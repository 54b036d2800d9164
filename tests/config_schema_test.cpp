// The config schema: unknown keys with the nearest known one, wrong shapes named, one error
// per unset variable, defaults that print-config and the docs show as the schema has them.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include "app/config.h"
#include "app/config_schema.h"
#include "app/config_view.h"
#include "core/text.h"
#include "platforms/registry.h"
#include "support/test_util.h"

namespace duplex {
namespace {

using nlohmann::json;

constexpr const char* kGenericSecret = "whsec_Z2VuZXJpYy13ZWJob29rLXNlY3JldC0z";

std::optional<std::string> NoEnv(const std::string&) {
  return std::nullopt;
}

// A valid console config, with `patch` merged in (JSON merge patch).
json Console(const json& patch = json::object()) {
  json c = {{"database", "duplex.db"},
            {"chat", {{"kind", "console"}}},
            {"platforms", {{"generic", {{"secret", kGenericSecret}}}}}};
  c.merge_patch(patch);
  return c;
}

std::string Problems(const json& config) {
  auto c = ParseConfig(config.dump(), NoEnv);
  REQUIRE_FALSE(c.ok());
  return c.status().message();
}

std::vector<std::string> Lines(const std::string& s) {
  return text::Split(s, '\n');
}

// Every leaf (non-object value) of `doc` by dotted path; sla.routes' entries excluded.
void Leaves(const json& doc, const std::string& path, std::vector<std::string>& out) {
  if (!doc.is_object() || path == "sla.routes") {
    out.push_back(path);
    return;
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    Leaves(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
  }
}

json AtPath(const json& doc, const std::string& path) {
  std::string pointer = "/" + path;
  std::replace(pointer.begin(), pointer.end(), '.', '/');
  const json::json_pointer at(pointer);
  return doc.contains(at) ? doc[at] : json();
}

}  // namespace

TEST_CASE("schema: a misspelt or unknown key is an error naming its path and the nearest key") {
  const std::string m =
      Problems(Console({{"platfroms", {{"generic", {{"secret", kGenericSecret}}}}},
                        {"listen", {{"prot", 8080}}},
                        {"chat", {{"defualt_channel", "social"}}},
                        {"platforms", {{"generic", {{"replyurl", "http://x"}}}}},
                        {"colour", "blue"},
                        {"port", 9000}}));
  CHECK(m.find("platfroms: unknown key; did you mean `platforms`?") != std::string::npos);
  CHECK(m.find("listen.prot: unknown key; did you mean `listen.port`?") != std::string::npos);
  CHECK(m.find("chat.defualt_channel: unknown key; did you mean `chat.default_channel`?") !=
        std::string::npos);
  CHECK(m.find("platforms.generic.replyurl: unknown key; did you mean "
               "`platforms.generic.reply_url`?") != std::string::npos);
  CHECK(m.find("colour: unknown key") != std::string::npos);
  CHECK(m.find("colour: unknown key;") == std::string::npos);  // nothing near: no guess
  CHECK(m.find("port: unknown key; did you mean `listen.port`?") != std::string::npos);
  CHECK(Lines(m).size() == 6);

  const std::string p = Problems(Console({{"platforms", {{"telegramm", json::object()}}}}));
  CHECK(p.find("platforms.telegramm: unknown platform; did you mean `platforms.telegram`? (known: "
               "generic, x, telegram, meta, github)") != std::string::npos);
}

TEST_CASE("schema: a value of the wrong shape names the shape expected, once") {
  const std::string m = Problems(Console({{"chat", {{"rate_limit", 5}, {"admins", {1}}}},
                                          {"listen", {{"port", "http"}}},
                                          {"sla", {{"routes", {{"vip", "ten"}}}}}}));
  CHECK(m.find("chat.rate_limit: must be an object {\"per_second\": number, \"burst\": number}") !=
        std::string::npos);
  CHECK(m.find("chat.admins: must be a string or a list of strings") != std::string::npos);
  CHECK(m.find("listen.port: must be an integer") != std::string::npos);
  CHECK(m.find("sla.routes.vip: must be an integer") != std::string::npos);
  CHECK(Lines(m).size() == 4);
}

TEST_CASE("schema: one unset variable is one error, without follow-ons") {
  auto c = ParseConfig(
      Console({{"platforms", {{"generic", {{"secret", "${NOT_SET_ANYWHERE}"}}}}}}).dump(), NoEnv);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message() ==
        "platforms.generic.secret: environment variable NOT_SET_ANYWHERE is not set");
}

TEST_CASE("schema: invalid JSON is reported with its line and column") {
  auto c =
      ParseConfig("{\n  \"database\": \"d.db\",\n  \"chat\": {\"kind\": \"console\",}\n}", NoEnv);
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().rfind("config: not valid JSON at line 3, column 30: ", 0) == 0);
}

TEST_CASE("schema: edit distance counts a swap of neighbours as one") {
  CHECK(EditDistance("defualt", "default") == 1);
  CHECK(EditDistance("platfroms", "platforms") == 1);
  CHECK(EditDistance("replyurl", "reply_url") == 1);
  CHECK(EditDistance("", "abc") == 3);
  CHECK(EditDistance("kitten", "sitting") == 3);
}

TEST_CASE("print-config shows every default of the schema, and only keys the schema knows") {
  // Every platform configured, once per chat kind: each default applies somewhere.
  const json platforms = {
      {"generic", {{"secret", kGenericSecret}}},
      {"x", {{"consumer_secret", "x-consumer-secret-0123"}, {"bearer_token", "b"}}},
      {"telegram", {{"bot_token", "123:abc"}, {"secret_token", "telegram-secret-0123"}}},
      {"meta",
       {{"app_secret", "meta-app-secret-0123"}, {"verify_token", "v"}, {"page_token", "p"}}},
      {"github", {{"secret", "github-secret-0123456"}}}};
  const json chats[] = {{{"kind", "console"}},
                        {{"kind", "slack"},
                         {"bot_token", "xoxb-1"},
                         {"signing_secret", "slack-signing-secret-0"},
                         {"team_id", "T1"},
                         {"default_channel", "C1"}},
                        {{"kind", "mattermost"},
                         {"api_base", "https://mm.test"},
                         {"bot_token", "b"},
                         {"command_token", "mattermost-command-tok"},
                         {"team_id", "t"},
                         {"default_channel", "c"}}};
  for (const json& chat : chats) {
    CAPTURE(chat["kind"]);
    json file = {{"database", "duplex.db"}, {"chat", chat}, {"platforms", platforms}};
    auto config = ParseConfig(file.dump(), NoEnv);
    REQUIRE_MESSAGE(config.ok(), config.status().message());
    const json printed = EffectiveConfig(*config);
    for (const auto& key : ConfigSchema()) {
      // Keys the file sets, and objects, which hold keys, are not defaults to see.
      if (key.default_value.is_null() || key.shape == KeyShape::kObject) continue;
      if (!key.chat_kind.empty() && key.chat_kind != chat["kind"]) continue;
      if (!AtPath(file, key.path).is_null()) continue;
      CAPTURE(key.path);
      CHECK(AtPath(printed, key.path) == key.default_value);
    }
    std::vector<std::string> leaves;
    Leaves(printed, "", leaves);
    for (const auto& leaf : leaves) CHECK_MESSAGE(FindConfigKey(leaf) != nullptr, leaf);
  }
}

TEST_CASE("schema: every key a platform's registry entry calls secret is secret in the schema") {
  for (const auto& entry : KnownPlatforms()) {
    CHECK(FindConfigKey("platforms." + entry.name) != nullptr);
    for (const auto& key : entry.secret_keys) {
      const std::string path = "platforms." + entry.name + "." + key;
      const ConfigKey* k = FindConfigKey(path);
      REQUIRE_MESSAGE(k != nullptr, path);
      CHECK_MESSAGE(k->secret, path);
    }
  }
}

TEST_CASE("docs/configuration.md documents every key of the schema with the schema's default") {
  const std::string doc =
      test::ReadFile(std::string(DUPLEX_FIXTURES_DIR) + "/../../docs/configuration.md");
  std::vector<std::string> rows;
  for (const auto& line : Lines(doc)) {
    if (text::StartsWith(line, "|")) rows.push_back(line);
  }
  for (const auto& key : ConfigSchema()) {
    CAPTURE(key.path);
    const std::string last = key.path.substr(key.path.rfind('.') + 1);
    const bool platform_key = text::StartsWith(key.path, "platforms.");
    // Platform tables name keys without their section; shared ones (.burst) by suffix.
    auto row = std::find_if(rows.begin(), rows.end(), [&](const std::string& r) {
      return r.find("`" + key.path + "`") != std::string::npos ||
             (platform_key && r.find("`" + last + "`") != std::string::npos);
    });
    // An object is documented by its keys ("`listen.rate_limit_per_source.per_second`").
    const bool object = key.shape == KeyShape::kObject;
    const bool documented = row != rows.end() ||
                            doc.find("`" + key.path + "`") != std::string::npos ||
                            doc.find("`." + last + "`") != std::string::npos ||
                            (object && doc.find("`" + key.path + ".") != std::string::npos);
    CHECK_MESSAGE(documented, key.path);
    if (row == rows.end() || key.default_value.is_null() || !key.chat_kind.empty() ||
        platform_key || object) {
      continue;
    }
    std::string cells = row->substr(row->find('|', 1));
    cells.erase(std::remove(cells.begin(), cells.end(), ' '), cells.end());
    CHECK_MESSAGE(cells.find("`" + key.default_value.dump() + "`") != std::string::npos, *row);
  }
}

}  // namespace duplex

namespace duplex {

TEST_CASE("a WhatsApp-only Meta setup needs no page_token") {
  auto c = ParseConfig(Console({{"platforms",
                                 {{"meta",
                                   {{"app_secret", "meta-app-secret-0123"},
                                    {"verify_token", "verify"},
                                    {"whatsapp_token", "whatsapp-token"}}}}}})
                           .dump(),
                       NoEnv);
  CHECK_MESSAGE(c.ok(), c.status().message());
}

}  // namespace duplex
