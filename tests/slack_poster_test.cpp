#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "chat/form.h"
#include "chat/slack/slack_limits.h"
#include "chat/slack/slack_poster.h"
#include "support/fakes.h"

namespace duplex {

using nlohmann::json;

namespace {

MentionCard Card(const std::string& text) {
  MentionCard c;
  c.ref = 42;
  c.platform = "x";
  c.platform_display = "X";
  c.kind = MentionKind::kMention;
  c.author = {"1", "ana", "Ana <script>", 12345};
  c.text = text;
  c.permalink = "https://x.com/ana/status/1";
  c.vip = true;
  return c;
}

}  // namespace

TEST_CASE("Slack post body: Block Kit plus fallback text, escaped, with thread and no unfurls") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  json body = json::parse(poster.BuildPostBody({"C1", "111.2", Card("<!channel> & you"), ""}));
  CHECK(body["channel"] == "C1");
  CHECK(body["thread_ts"] == "111.2");
  CHECK(body["unfurl_links"] == false);
  std::string text = body["text"];
  CHECK(text.find("#42") != std::string::npos);
  CHECK(text.find("&lt;!channel&gt; &amp; you") != std::string::npos);
  CHECK(text.find("<!channel>") == std::string::npos);
  std::string blocks = body["blocks"].dump();
  CHECK(blocks.find("Ana &lt;script&gt;") != std::string::npos);
  CHECK(blocks.find("12,345 followers") != std::string::npos);
  CHECK(blocks.find("VIP") != std::string::npos);
  CHECK(blocks.find("<https://x.com/ana/status/1|open on X>") != std::string::npos);
}

TEST_CASE("Slack post body: a long text is truncated in the block but whole enough in text") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  json body = json::parse(poster.BuildPostBody({"C1", "", Card(std::string(10000, 'z')), ""}));
  for (const auto& block : body["blocks"]) {
    if (block["type"] == "section")
      CHECK(slack::SlackLength(block["text"]["text"].get<std::string>()) <= 3000);
  }
  CHECK_FALSE(body.contains("thread_ts"));
}

TEST_CASE("Slack answers map to outcomes") {
  auto answer = [](int status, const std::string& body, HeaderList headers = {}) {
    HttpResult r;
    r.response.status = status;
    r.response.body = body;
    r.response.headers = std::move(headers);
    return ClassifySlackAnswer(r);
  };
  auto ok = answer(200, R"({"ok":true,"ts":"1.2","channel":"C1"})");
  CHECK(ok.kind == OutcomeKind::kDone);
  CHECK(ok.remote_id == "1.2");
  auto nf = answer(200, R"({"ok":false,"error":"channel_not_found"})");
  CHECK(nf.kind == OutcomeKind::kPermanent);
  CHECK(nf.error == "Slack error: channel_not_found");
  CHECK_FALSE(nf.auth_failure);
  auto revoked = answer(200, R"({"ok":false,"error":"token_revoked"})");
  CHECK(revoked.kind == OutcomeKind::kPermanent);
  CHECK(revoked.auth_failure);
  CHECK(answer(200, R"({"ok":false,"error":"internal_error"})").kind == OutcomeKind::kRetry);
  auto limited = answer(429, "", {{"Retry-After", "3"}});
  CHECK(limited.kind == OutcomeKind::kRetry);
  CHECK(limited.retry_after_ms == 3000);
  CHECK(answer(500, "").kind == OutcomeKind::kUncertain);
  CHECK(answer(200, "<html>").kind == OutcomeKind::kUncertain);
  HttpResult down;
  down.error = TransportError::kNotSent;
  CHECK(ClassifySlackAnswer(down).kind == OutcomeKind::kRetry);
}

TEST_CASE("Slack poster sends the bot token as a Bearer header to chat.postMessage") {
  test::FakeHttpClient http;
  http.PushStatus(200, R"({"ok":true,"ts":"9.9"})");
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  auto o = poster.Post({"C1", "", std::nullopt, "a notice"});
  CHECK(o.remote_id == "9.9");
  auto req = http.requests().at(0);
  CHECK(req.url == "https://slack.test/api/chat.postMessage");
  CHECK(FindHeader(req.headers, "Authorization") == "Bearer xoxb-1");
  CHECK(json::parse(req.body)["text"] == "a notice");
}

TEST_CASE("form bodies: decoding, repeated keys, empty values and junk") {
  Form f = Form::Parse("a=1&b=x+y%26z&a=2&empty=&novalue&&%zz=bad");
  CHECK(f.Get("a") == "1");
  CHECK(f.Get("b") == "x y&z");
  CHECK(f.Has("empty"));
  CHECK(f.Get("empty").empty());
  CHECK(f.Has("novalue"));
  CHECK(f.Get("%zz") == "bad");
  CHECK_FALSE(f.Has("missing"));
  CHECK(Form::Parse("").fields().empty());
}

TEST_CASE(
    "Slack chat.update body: the same card by channel and ts, with its state line, no thread") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  MentionCard card = Card("where is my order");
  card.state_line = "Assigned to <@U1> · SLA: 12m left";
  json body = json::parse(poster.BuildUpdateBody({"C1", "999.1", card, ""}, "111.2"));
  CHECK(body["channel"] == "C1");
  CHECK(body["ts"] == "111.2");
  CHECK_FALSE(body.contains("thread_ts"));
  CHECK(body["text"].get<std::string>().find("Assigned to <@U1> · SLA: 12m left") !=
        std::string::npos);
  CHECK(body["blocks"].dump().find("Assigned to <@U1> · SLA: 12m left") != std::string::npos);
  json plain = json::parse(poster.BuildUpdateBody({"C1", "", std::nullopt, "just text"}, "111.2"));
  CHECK(plain["blocks"] == json::array());  // the old blocks are cleared
  CHECK(plain["text"] == "just text");

  http.PushStatus(200, R"({"ok":true,"ts":"111.2"})");
  auto o = poster.Update({"C1", "", card, ""}, "111.2");
  CHECK(o.kind == OutcomeKind::kDone);
  REQUIRE(http.requests().size() == 1);
  CHECK(http.requests()[0].url == "https://slack.test/api/chat.update");
  http.PushStatus(200, R"({"ok":false,"error":"message_not_found"})");
  CHECK(poster.Update({"C1", "", card, ""}, "111.2").kind == OutcomeKind::kPermanent);
}

TEST_CASE(
    "Slack dialect: times render in the reader's zone with a UTC fallback, user ids are U… or W…") {
  SlackDialect d;
  CHECK(d.Time(1'700'000'000'123) ==
        "<!date^1700000000^{date_short_pretty} {time}|2023-11-14 22:13 UTC>");
  CHECK(d.IsUserId("U024BE7LH"));
  CHECK(d.IsUserId("W0ENT"));
  CHECK_FALSE(d.IsUserId("bob"));
  CHECK_FALSE(d.IsUserId("U"));
  CHECK_FALSE(d.IsUserId("C024BE7LR"));
  CHECK_FALSE(d.IsUserId("Uabc"));
}

TEST_CASE("a card that reopened its conversation says so") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  MentionCard card = Card("back again");
  card.reopened = true;
  json body = json::parse(poster.BuildPostBody({"C1", "111.2", card, ""}));
  CHECK(body["blocks"].dump().find("reopened (it was closed)") != std::string::npos);
  CHECK(body["text"].get<std::string>().find("reopened (it was closed)") != std::string::npos);
}

}  // namespace duplex

namespace duplex {

TEST_CASE("Slack command text is made plain for customers") {
  SlackDialect d;
  CHECK(d.ToPlain("Fish &amp; chips &lt;3 &gt;_&lt;") == "Fish & chips <3 >_<");
  CHECK(d.ToPlain("see <https://example.com/a?b=1&amp;c=2|example.com> or <https://x.y/z>") ==
        "see example.com (https://example.com/a?b=1&c=2) or https://x.y/z");
  // People and channels become plain words: nothing turns into a mention or a hashtag on the
  // customer's platform, and a person Slack cannot name is left out, never shown as an id.
  CHECK(d.ToPlain("thanks <@U024BE7LH|ana> and <@U0B>, in <#C024BE7LR|general>") ==
        "thanks ana and, in general");
  CHECK(d.ToPlain("<!here> hi") == "here hi");
  CHECK(d.ToPlain("&amp;lt; stays text") == "&lt; stays text");
  CHECK(d.ToPlain("a < b and unclosed <tag") == "a < b and unclosed <tag");
  CHECK(d.ToPlain("<mailto:a@b.c|a@b.c>") == "a@b.c");
  // A link whose label is other words (Slack's link formatting): the customer gets both.
  CHECK(d.ToPlain("see <https://acme.example/t/1|tracking>") ==
        "see tracking (https://acme.example/t/1)");
  CHECK(d.ToPlain("<https://acme.example/returns|returns>") ==
        "returns (https://acme.example/returns)");
  CHECK(d.ToPlain("<http://acme.example/|acme.example>") == "acme.example");
  CHECK(d.ToPlain("<https://a.example/x|https://a.example/x>") == "https://a.example/x");
  CHECK(d.ToPlain("<https://evil.example/|https://bank.example/>") ==
        "https://bank.example/ (https://evil.example/)");
}

}  // namespace duplex

namespace duplex {

TEST_CASE("Slack root buttons: Reply, Assign to me and Close while open, only Reopen when closed") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  auto actions_of = [&](const MentionCard& card) {
    json body = json::parse(poster.BuildPostBody({"C1", "", card, ""}));
    std::vector<std::string> ids;
    for (const auto& block : body["blocks"]) {
      if (block["type"] != "actions") continue;
      for (const auto& e : block["elements"]) {
        CHECK(e["value"] == "42");
        ids.push_back(e["action_id"]);
      }
    }
    return ids;
  };
  MentionCard open = Card("hi");
  CHECK(actions_of(open).empty());  // a thread message has no buttons
  open.root = true;
  CHECK(actions_of(open) == std::vector<std::string>{kActionReply, kActionAssignMe, kActionClose});
  MentionCard closed = open;
  closed.closed = true;
  CHECK(actions_of(closed) == std::vector<std::string>{kActionReopen});
}

TEST_CASE(
    "Slack reply modal: callback, ref in private_metadata, one multiline input, title within 24 "
    "chars") {
  json view = ReplyModal(1234567890123, "Ana");
  CHECK(view["type"] == "modal");
  CHECK(view["callback_id"] == kReplyModalCallback);
  CHECK(view["private_metadata"] == "1234567890123");
  CHECK(view["title"]["text"].get<std::string>().size() <= 24);
  REQUIRE(view["blocks"].size() == 1);
  CHECK(view["blocks"][0]["block_id"] == kReplyBlock);
  CHECK(view["blocks"][0]["element"]["action_id"] == kReplyInput);
  CHECK(view["blocks"][0]["element"]["multiline"] == true);
  CHECK(view["blocks"][0]["label"]["text"] == "Your reply to Ana");
}

TEST_CASE(
    "Slack views.open and response_url: the trigger is passed on, response_url only on Slack's "
    "host, no token") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 10'000}, http);
  http.PushStatus(200, R"({"ok":true})");
  CHECK(poster.OpenView("trig-1", ReplyModal(7, "Ana")).kind == OutcomeKind::kDone);
  http.PushStatus(200, R"({"ok":false,"error":"expired_trigger_id"})");
  auto expired = poster.OpenView("trig-2", ReplyModal(7, "Ana"));
  CHECK(expired.kind == OutcomeKind::kPermanent);
  CHECK(expired.error == "Slack error: expired_trigger_id");
  auto requests = http.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].url == "https://slack.test/api/views.open");
  CHECK(requests[0].timeout_ms < 3000);  // the trigger expires after 3 s
  CHECK(json::parse(requests[0].body)["trigger_id"] == "trig-1");

  CHECK(poster.Respond("https://hooks.slack.com/actions/T1/1/xyz", "Nope").kind ==
        OutcomeKind::kDone);
  CHECK(poster.Respond("https://slack.test/hooks/1", "Nope").kind == OutcomeKind::kDone);
  CHECK(poster.Respond("https://evil.example/hooks.slack.com/", "Nope").kind ==
        OutcomeKind::kPermanent);
  CHECK(poster.Respond("https://hooks.slack.com.evil.example/x", "Nope").kind ==
        OutcomeKind::kPermanent);
  requests = http.requests();
  REQUIRE(requests.size() == 4);
  json body = json::parse(requests[2].body);
  CHECK(body["response_type"] == "ephemeral");
  CHECK(body["text"] == "Nope");
  CHECK(FindHeader(requests[2].headers, "Authorization").empty());
}

}  // namespace duplex

namespace duplex {

TEST_CASE(
    "Slack card: every text within Slack's limits after escaping, whatever the customer wrote") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  MentionCard card = Card(std::string(2990, '&'));
  card.author = {"1", std::string(5000, '<'), std::string(5000, '>'),
                 1};  // a name is customer text too
  card.root = true;
  card.state_line = "Assigned to <@U1> · SLA: 12m left";
  json body = json::parse(poster.BuildPostBody({"C1", "", card, ""}));
  REQUIRE(body["blocks"].size() <= slack::kBlocksMax);
  for (const auto& block : body["blocks"]) {
    if (block["type"] == "section") {
      CHECK(slack::SlackLength(block["text"]["text"].get<std::string>()) <= slack::kSectionTextMax);
    }
    if (block["type"] == "context") {
      CHECK(block["elements"].size() <= slack::kContextElementsMax);
      for (const auto& e : block["elements"])
        CHECK(slack::SlackLength(e["text"].get<std::string>()) <= slack::kTextObjectMax);
    }
    if (block["type"] == "actions") {
      for (const auto& e : block["elements"]) {
        CHECK(slack::SlackLength(e["text"]["text"].get<std::string>()) <= slack::kButtonTextMax);
        CHECK(slack::SlackLength(e["value"].get<std::string>()) <= slack::kButtonValueMax);
      }
    }
  }
  const std::string quoted = body["blocks"][1]["text"]["text"];
  CHECK(quoted.rfind("&amp;&amp;", 0) == 0);
  CHECK(quoted.find("&amp;&amp;\xE2\x80\xA6") != std::string::npos);  // cut between entities
  CHECK(slack::SlackLength(body["text"].get<std::string>()) <= slack::kMessageTextMax);
  json update = json::parse(poster.BuildUpdateBody({"C1", "", card, ""}, "1.2"));
  CHECK(update["blocks"] == body["blocks"]);
}

TEST_CASE(
    "Slack refuses a card's blocks: the card goes out as plain text, logged and counted, other "
    "refusals are not retried") {
  test::FakeHttpClient http;
  Metrics metrics;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http, nullptr, &metrics);
  MentionCard card = Card("Where is my parcel? <!-- tracking 123 -->");
  card.root = true;
  http.PushStatus(
      200,
      R"({"ok":false,"error":"invalid_blocks","errors":["must be less than 3001 characters [json-pointer:/blocks/1/text/text]"]})");
  http.PushStatus(200, R"({"ok":true,"ts":"5.5"})");
  auto posted = poster.Post({"C1", "", card, ""});
  CHECK(posted.kind == OutcomeKind::kDone);
  CHECK(posted.remote_id == "5.5");  // the root's ts, for its thread and later updates
  auto requests = http.requests();
  REQUIRE(requests.size() == 2);
  json first = json::parse(requests[0].body);
  json second = json::parse(requests[1].body);
  CHECK(first.contains("blocks"));
  CHECK_FALSE(second.contains("blocks"));
  CHECK(second["text"] == first["text"]);
  CHECK(second["text"].get<std::string>().find("Where is my parcel? &lt;!-- tracking 123 --&gt;") !=
        std::string::npos);
  CHECK(second["channel"] == "C1");
  CHECK(requests[1].url == "https://slack.test/api/chat.postMessage");
  CHECK(metrics.Get("duplex_slack_plain_fallbacks_total",
                    {{"method", "chat.postMessage"}, {"error", "invalid_blocks"}}) == 1);

  // chat.update: the plain text replaces the old blocks (an empty list), on the same ts.
  http.PushStatus(200, R"({"ok":false,"error":"msg_blocks_too_long"})");
  http.PushStatus(200, R"({"ok":true,"ts":"5.5"})");
  CHECK(poster.Update({"C1", "", card, ""}, "5.5").kind == OutcomeKind::kDone);
  requests = http.requests();
  REQUIRE(requests.size() == 4);
  json plain_update = json::parse(requests[3].body);
  CHECK(plain_update["blocks"] == json::array());
  CHECK(plain_update["ts"] == "5.5");
  CHECK(metrics.Get("duplex_slack_plain_fallbacks_total",
                    {{"method", "chat.update"}, {"error", "msg_blocks_too_long"}}) == 1);

  // Refusals that are not about the blocks, and notices (no blocks), are sent once.
  http.PushStatus(200, R"({"ok":false,"error":"channel_not_found"})");
  CHECK(poster.Post({"C1", "", card, ""}).error == "Slack error: channel_not_found");
  http.PushStatus(200, R"({"ok":false,"error":"invalid_blocks"})");
  CHECK(poster.Post({"C1", "", std::nullopt, "a notice"}).kind == OutcomeKind::kPermanent);
  CHECK(http.requests().size() == 6);
  // The plain text refused as well: that answer is the outcome.
  http.PushStatus(200, R"({"ok":false,"error":"invalid_blocks"})");
  http.PushStatus(200, R"({"ok":false,"error":"msg_too_long"})");
  CHECK(poster.Post({"C1", "", card, ""}).error == "Slack error: msg_too_long");
  CHECK(http.requests().size() == 8);
}

TEST_CASE("Slack answers, notices and the reply form stay within Slack's limits") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  const std::string huge = std::string(50'000, 'x') + "<https://acme.example/|end>";
  json notice = json::parse(poster.BuildPostBody({"C1", "1.1", std::nullopt, huge}));
  CHECK(slack::SlackLength(notice["text"].get<std::string>()) <= slack::kMessageTextMax);
  CHECK(poster.Respond("https://hooks.slack.com/actions/T1/1/x", huge).kind == OutcomeKind::kDone);
  CHECK(slack::SlackLength(json::parse(http.requests().back().body)["text"].get<std::string>()) <=
        slack::kMessageTextMax);

  json view = ReplyModal(1234567890123, std::string(3000, 'A') + "\xF0\x9F\x98\x80");
  CHECK(slack::SlackLength(view["title"]["text"].get<std::string>()) <= slack::kModalTitleMax);
  CHECK(slack::SlackLength(view["submit"]["text"].get<std::string>()) <= slack::kModalButtonMax);
  CHECK(slack::SlackLength(view["close"]["text"].get<std::string>()) <= slack::kModalButtonMax);
  CHECK(slack::SlackLength(view["private_metadata"].get<std::string>()) <=
        slack::kPrivateMetadataMax);
  CHECK(slack::SlackLength(view["blocks"][0]["label"]["text"].get<std::string>()) <=
        slack::kInputLabelMax);
  CHECK(view["blocks"][0]["element"]["max_length"] == slack::kPlainTextInputMax);
}

TEST_CASE(
    "Slack response_url: GovSlack's hooks host as well as Slack's, nothing else, never the token") {
  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.com/api", "xoxb-1", "", 1000}, http);
  CHECK(poster.Respond("https://hooks.slack-gov.com/actions/T1/1/xyz", "ok").kind ==
        OutcomeKind::kDone);
  CHECK(poster.Respond("https://hooks.slack.com/commands/T1/1/xyz", "ok").kind ==
        OutcomeKind::kDone);
  REQUIRE(http.requests().size() == 2);
  CHECK(http.requests()[0].url == "https://hooks.slack-gov.com/actions/T1/1/xyz");
  for (const auto& r : http.requests()) CHECK(FindHeader(r.headers, "Authorization").empty());
  for (const char* other :
       {"https://hooks.slack-gov.com.evil.example/a", "http://hooks.slack-gov.com/a",
        "https://evil.example/hooks.slack-gov.com/", "https://hooks.slack-gov.co/a",
        "https://hooks.slack-gov.com@evil.example/a", "https://slack-gov.com/api/x"}) {
    CHECK_MESSAGE(poster.Respond(other, "no").kind == OutcomeKind::kPermanent, other);
  }
  CHECK(http.requests().size() == 2);
}

}  // namespace duplex
