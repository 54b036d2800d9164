#include <doctest/doctest.h>

#include <sstream>

#include "app/chats.h"
#include "support/fake_clock.h"

namespace duplex {
namespace {

struct NoHttp : HttpClient {
  HttpResult Send(const HttpRequest&) override { return {}; }
};

}  // namespace

TEST_CASE("chats: each configured kind builds its own poster, and an unknown kind is refused") {
  NoHttp http;
  FakeClock clock;
  Metrics metrics;
  Background background;
  std::ostringstream console;
  ChatConfig config;
  config.team_id = "T1";
  for (const char* kind : {"slack", "mattermost", "console"}) {
    config.kind = kind;
    auto chat = MakeChat({config, http, clock, metrics, background, console});
    REQUIRE(chat.ok());
    // Each dialect writes a person its own way.
    const std::string user = (*chat)->poster().Dialect().User("u1");
    if (config.kind == "slack") CHECK(user == "<@u1>");
    if (config.kind == "mattermost") CHECK(user == "@u1");
  }
  config.kind = "teams";
  CHECK(MakeChat({config, http, clock, metrics, background, console}).status().code() ==
        StatusCode::kInvalidArgument);
}

}  // namespace duplex
