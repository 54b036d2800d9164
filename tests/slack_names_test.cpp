// People staff mention in Slack (<@U…>) reach customers by name, from users.info, remembered.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "chat/slack/slack_directory.h"
#include "chat/slack/slack_poster.h"
#include "support/fakes.h"

namespace duplex {
namespace {

using nlohmann::json;

std::string UserAnswer(const std::string& display_name, const std::string& real_name,
                       const std::string& name) {
  return json{{"ok", true},
              {"user",
               {{"id", "U0ANA"},
                {"name", name},
                {"real_name", real_name},
                {"profile", {{"display_name", display_name}, {"real_name", real_name}}}}}}
      .dump();
}

}  // namespace

TEST_CASE(
    "a person staff mention reaches the customer by their Slack name, asked once for two replies") {
  test::FakeHttpClient http;
  FakeClock clock;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 10'000}, http, &clock);
  const ChatDialect& d = poster.Dialect();
  http.PushStatus(200, UserAnswer("Ana", "Ana Lopez", "ana.lopez"));
  CHECK(d.ToPlain("Thanks! <@U0ANA> will call you.") == "Thanks! Ana will call you.");
  CHECK(d.ToPlain("<@U0ANA> again") == "Ana again");
  auto requests = http.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].url == "https://slack.test/api/users.info?user=U0ANA");
  CHECK(FindHeader(requests[0].headers, "Authorization") == "Bearer xoxb-1");
  CHECK(requests[0].timeout_ms <= SlackDialect::kNameLookupBudgetMs);

  // The label Slack sends with the mention needs no lookup.
  CHECK(d.ToPlain("ask <@U0BOB|bob>") == "ask bob");
  CHECK(http.requests().size() == 1);

  // An hour later the name is looked up again (people rename themselves).
  clock.Advance(61 * 60 * 1000);
  http.PushStatus(200, UserAnswer("Ana L.", "Ana Lopez", "ana.lopez"));
  CHECK(d.ToPlain("<@U0ANA>") == "Ana L.");
  CHECK(http.requests().size() == 2);
}

TEST_CASE(
    "a person Slack cannot name is left out, never shown as an id, and not asked about for every "
    "message") {
  test::FakeHttpClient http;
  FakeClock clock;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 10'000}, http, &clock);
  const ChatDialect& d = poster.Dialect();
  http.PushStatus(200, R"({"ok":false,"error":"user_not_found"})");
  CHECK(d.ToPlain("Thanks, <@U0GONE> will call.") == "Thanks, will call.");
  CHECK(d.ToPlain("call <@U0GONE>") == "call");
  CHECK(http.requests().size() == 1);  // the miss is remembered for a minute
  http.PushError(TransportError::kUnknown, "timeout");
  CHECK(d.ToPlain("hi <@U0SLOW>, bye") == "hi, bye");
  http.PushStatus(200, R"({"ok":false,"error":"missing_scope","needed":"users:read"})");
  CHECK(d.ToPlain("<@U0NOSCOPE> here") == "here");
  http.PushStatus(500, "oops");
  CHECK(d.ToPlain("x <@W0ENT> y") == "x y");
  // Not a user id at all: nothing to ask.
  CHECK(d.ToPlain("x <@bob> y") == "x y");
  CHECK(http.requests().size() == 4);
  clock.Advance(61 * 1000);
  http.PushStatus(200, UserAnswer("", "Gone Again", "gone"));
  CHECK(d.ToPlain("<@U0GONE>") == "Gone Again");
}

TEST_CASE(
    "the name Slack shows: display name, else real name, else user name, on one line, without a "
    "sigil") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 10'000}, http);
  http.PushStatus(200, UserAnswer("  ", "Ana Lopez", "ana"));
  CHECK(poster.LookUpUserName("U1", 500) == std::optional<std::string>("Ana Lopez"));
  http.PushStatus(200, UserAnswer("", "", "ana"));
  CHECK(poster.LookUpUserName("U2", 500) == std::optional<std::string>("ana"));
  http.PushStatus(200, UserAnswer("Ana\nLopez\t<b>", "", ""));
  CHECK(poster.LookUpUserName("U3", 500) == std::optional<std::string>("Ana Lopez <b>"));
  http.PushStatus(200, R"({"ok":true,"user":{"id":"U4"}})");
  CHECK(poster.LookUpUserName("U4", 500) == std::nullopt);
  http.PushStatus(200, "not json");
  CHECK(poster.LookUpUserName("U5", 500) == std::nullopt);
  CHECK(http.requests().back().timeout_ms == 500);
  // A name with entity-like text stays as written ("&lt;" is not undone into "<").
  http.PushStatus(200, UserAnswer("R&amp;D &lt;3", "", ""));
  CHECK(poster.Dialect().ToPlain("<@U6> ok") == "R&amp;D &lt;3 ok");
}

TEST_CASE("special mentions and channels become plain words") {
  SlackDialect d;
  CHECK(d.ToPlain("<!here> <!channel> <!everyone>, see <#C024BE7LR|general>") ==
        "here channel everyone, see general");
  CHECK(d.ToPlain("ping <!subteam^S0123|@support> now") == "ping support now");
  CHECK(d.ToPlain("ping <!subteam^S0123> now") == "ping now");
  CHECK(d.ToPlain("on <!date^1392734382^{date}|Feb 18, 2014>") == "on Feb 18, 2014");
  CHECK(d.ToPlain("in <#C024BE7LR>.") == "in.");
  CHECK(d.ToPlain("<@U1|@ana>") == "ana");
}

TEST_CASE(
    "Slack directory: bounded, least recently used leaves first, lookups within the caller's "
    "time") {
  FakeClock clock;
  int calls = 0;
  int last_timeout = -1;
  SlackDirectory::Options options;
  options.capacity = 2;
  SlackDirectory directory(
      [&](const std::string& id, int timeout_ms) -> std::optional<std::string> {
        ++calls;
        last_timeout = timeout_ms;
        return "name of " + id;
      },
      clock, options);
  CHECK(directory.NameOf("U1", 800) == std::optional<std::string>("name of U1"));
  CHECK(last_timeout == 800);
  CHECK(directory.NameOf("U2", 800).has_value());
  CHECK(directory.NameOf("U1", 800).has_value());  // U1 is now the most recent
  CHECK(calls == 2);
  CHECK(directory.NameOf("U3", 800).has_value());  // U2 leaves
  CHECK(calls == 3);
  CHECK(directory.NameOf("U1", 0).has_value());      // remembered: no time needed
  CHECK(directory.NameOf("U2", 0) == std::nullopt);  // forgotten, and no time to ask
  CHECK(calls == 3);
}

}  // namespace duplex
