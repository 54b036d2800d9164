// A platform's name is written once (k<Platform>Platform): the registry key, the connector's
// Name() and the platform of each mention it parses must agree, or replies and routes keyed
// on one of them would miss the others.
#include <doctest/doctest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "platforms/registry.h"

namespace duplex {

TEST_CASE("platform names: registry key, Name() and Mention.platform agree for every platform") {
  using nlohmann::json;
  // The smallest config each connector accepts.
  const std::map<std::string, json> configs = {
      {"generic",
       {{"secret", "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
        {"reply_url", "https://replies.test/r"}}},
      {"x",
       {{"consumer_secret", "x-consumer-secret-1234"},
        {"bearer_token", "bt"},
        {"account_id", "1500"}}},
      {"telegram",
       {{"bot_token", "1:abc"},
        {"secret_token", "telegram-secret-token-1234"},
        {"bot_username", "bot"}}},
      {"meta",
       {{"app_secret", "meta-app-secret-1234"},
        {"verify_token", "meta-verify-token-1234"},
        {"page_token", "pt"},
        {"page_id", "102030"}}},
      {"github",
       {{"secret", "github-webhook-secret-1234"}, {"token", "ghp"}, {"bot_login", "duplex[bot]"}}},
  };
  REQUIRE(KnownPlatforms().size() == configs.size());
  for (const PlatformEntry& entry : KnownPlatforms()) {
    CAPTURE(entry.name);
    REQUIRE(configs.count(entry.name) == 1);
    std::vector<std::string> errors;
    auto connector =
        entry.factory(configs.at(entry.name), "platforms." + entry.name, errors, nullptr);
    REQUIRE_MESSAGE(errors.empty(), (errors.empty() ? std::string() : errors.front()));
    REQUIRE(connector);
    CHECK(connector->Name() == entry.name);

    const UnixMs now = 1'717'000'000'000;
    HttpRequest sample = connector->SampleWebhook("http://127.0.0.1:8080", "hello", "ev-1", now);
    InboundRequest request;
    request.method = sample.method;
    request.path = sample.url.substr(sample.url.find('/', sample.url.find("//") + 2));
    request.headers = sample.headers;
    request.headers.push_back({"Content-Type", sample.content_type});
    request.body = sample.body;
    request.now = now;
    REQUIRE(connector->Verify(request).ok());
    auto parsed = connector->Parse(request);
    REQUIRE_MESSAGE(parsed.ok(), parsed.status().message());
    REQUIRE_FALSE(parsed->mentions.empty());
    for (const Mention& m : parsed->mentions) CHECK(m.platform == entry.name);
  }
}

}  // namespace duplex
