// Customer text in chat (issue 14): whatever a customer writes, or calls themselves, reaches
// Slack and Mattermost as the text they wrote, never as a link, an image, a mention or other
// markup; and only http(s) addresses become links.
#include <doctest/doctest.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "chat/console/console_poster.h"
#include "chat/mattermost/mattermost_poster.h"
#include "chat/slack/slack_poster.h"
#include "commands/notices.h"
#include "handlers/slack_handler.h"
#include "support/staff_rig.h"

namespace duplex {

using nlohmann::json;

namespace {

const char* const kZwsp = "\xE2\x80\x8B";

// What a customer may send, as text or as a name.
const char* const kHostile[] = {
    "[Verify your SSO login](https://phish)",
    "![](https://attacker/px.png)",
    "@channel @here @all @ana",
    "~town-square",
    "<https://phish> <!channel> <@U0ADMIN> <https://phish|Verify your SSO login>",
    "see https://evil.example/x or www.evil.example or evil.example/path",
    "mailto:a@b.example tel:+15550100 javascript:alert(1)",
    "# Heading\n===\n- item\n1. item\n> quote\n| a | b |\n|---|---|\n---",
    "**bold** _it_ ~~gone~~ `code` $x^2$ &lt;b&gt; &#91;x&#93;",
    "\\[escaped\\](https://phish) \\\\[double\\\\](https://phish) \\a \\",
    "[label][ref]\n\n[ref]: https://phish",
};

// Where `out` could render in Mattermost as anything but plain text (npos: nowhere): every
// character Markdown acts on must be backslash-escaped or an entity, no ':' may start a URL,
// and every '@' and escaped '~' must be followed by a zero-width space.
std::size_t MattermostMarkupAt(const std::string& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (c == '\\') {
      // marked (Mattermost's browser renderer) takes a backslash only before these.
      if (i + 1 < out.size() && std::strchr("`*{}[]()#+-.!_>|~\\", out[i + 1]) != nullptr &&
          out[i + 1] != '\0') {
        ++i;
        if (out[i] == '~' && out.compare(i + 1, 3, kZwsp) != 0) return i;
      }
      continue;
    }
    if (std::strchr("`*_{}[]()#+-.!>|~<$=", c) != nullptr) return i;
    if (c == '&') {
      std::size_t entity = 0;
      for (const char* e : {"&amp;", "&lt;", "&#36;", "&#61;", "&#58;"}) {
        if (out.compare(i, std::strlen(e), e) == 0) entity = std::strlen(e);
      }
      if (entity == 0) return i;
      i += entity - 1;
      continue;
    }
    if (c == ':' && out.compare(i + 1, 2, "//") == 0) return i;
    if (c == '@' && out.compare(i + 1, 3, kZwsp) != 0) return i;
  }
  return std::string::npos;
}

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

Mention HostileMention(const std::string& event_id, const std::string& name,
                       const std::string& handle, const std::string& text,
                       const std::string& permalink) {
  Mention m;
  m.platform = "generic";
  m.event_id = event_id;
  m.message_id = event_id;
  m.conversation_key = "c-" + event_id;
  m.kind = MentionKind::kDirect;
  m.text = text;
  m.author = {"id-" + event_id, handle, name, 50'000};
  m.permalink = permalink;
  m.reply_target = json{{"conversation", m.conversation_key}, {"in_reply_to", event_id}}.dump();
  return m;
}

MentionCard HostileCard(const std::string& name, const std::string& handle, const std::string& text,
                        const std::string& permalink) {
  MentionCard c;
  c.ref = 7;
  c.platform = "generic";
  c.platform_display = "Webhook";
  c.author = {"id", handle, name, 10};
  c.text = text;
  c.permalink = permalink;
  c.root = true;
  return c;
}

}  // namespace

TEST_CASE(
    "Mattermost: a forged link and a tracking image are shown as the text the customer wrote") {
  MattermostDirectory dir;
  MattermostDialect d(dir);
  CHECK(d.Escape("[Verify your SSO login](https://phish)") ==
        "\\[Verify your SSO login\\]\\(https&#58;//phish\\)");
  CHECK(d.Escape("![](https://attacker/px.png)") == "\\!\\[\\]\\(https&#58;//attacker/px\\.png\\)");
  CHECK(d.Escape("@channel @here @all") ==
        std::string("@") + kZwsp + "channel @" + kZwsp + "here @" + kZwsp + "all");
  CHECK(d.Escape("~town-square") == std::string("\\~") + kZwsp + "town\\-square");
  // A bare address stays readable but is no link (Mattermost would preview it, images
  // included): the scheme's colon is an entity, the dots are escaped.
  CHECK(d.Escape("https://evil.example/x") == "https&#58;//evil\\.example/x");
  CHECK(d.Escape("www.evil.example") == "www\\.evil\\.example");
  CHECK(d.Escape("<https://phish>") == "&lt;https&#58;//phish\\>");
  // Plain prose keeps its colons and reads as before.
  CHECK(d.Escape("Note: at 10:30, ok") == "Note: at 10&#58;30, ok");
  CHECK(d.Escape("Hi :smile: thanks") == "Hi :smile: thanks");
  // A backslash cannot undo the escape that follows it.
  CHECK(d.Escape("\\[x](https://p)") == "\\\\\\[x\\]\\(https&#58;//p\\)");
  CHECK(d.Escape("C:\\temp") == "C&#58;\\temp");
}

TEST_CASE("Mattermost: nothing a customer sends renders as markup, whatever it holds") {
  MattermostDirectory dir;
  MattermostDialect d(dir);
  for (const char* hostile : kHostile) {
    const std::string out = d.Escape(hostile);
    CHECK_MESSAGE(MattermostMarkupAt(out) == std::string::npos, out);
    // Posts are truncated: cut anywhere, the rest is inert too. A cut inside an escape leaves
    // its first half at the very end (a '\\', "&am", an '@' without its break), which is text.
    for (std::size_t cut = 1; cut < out.size(); ++cut) {
      const std::string left = out.substr(0, cut);
      const std::size_t at = MattermostMarkupAt(left);
      CHECK_MESSAGE((at == std::string::npos || at + 5 >= left.size()), left);
    }
  }
}

TEST_CASE("Mattermost posts: the customer's name, handle, text and link are all inert") {
  MattermostDirectory dir;
  struct NoHttp : HttpClient {
    HttpResult Send(const HttpRequest&) override { return {}; }
  } http;
  MattermostPoster poster({"https://mm", "t", "", 1000}, http, dir);
  const std::string message = json::parse(
      poster.BuildPostBody({"ch1", "",
                            HostileCard("[Verify your SSO login](https://phish)", "here",
                                        "![](https://attacker/px.png) @channel", "!channel"),
                            ""}))["message"];
  CHECK_FALSE(Has(message, "[Verify your SSO login]("));
  CHECK_FALSE(Has(message, "!["));
  CHECK_FALSE(Has(message, "://"));
  CHECK_FALSE(Has(message, "@here"));
  CHECK_FALSE(Has(message, "@channel"));
  CHECK(Has(message, std::string("(@") + kZwsp + "here)"));
  // "!channel" is not an http(s) address: shown as text, no link.
  CHECK(Has(message, "open on Webhook: \\!channel"));
  CHECK_FALSE(Has(message, "](!channel"));
  // duplex's own markup still works.
  CHECK(Has(message, "_reply with_ `/duplex reply 7 …`"));
}

TEST_CASE(
    "Slack: customer text cannot write a special mention, a user mention or a labelled link") {
  SlackDialect d;
  CHECK(d.Escape("<!channel> <!here|here> <@U0ADMIN> <#C0GENERAL> <https://phish|Verify your SSO "
                 "login>") ==
        "&lt;!channel&gt; &lt;!here|here&gt; &lt;@U0ADMIN&gt; &lt;#C0GENERAL&gt; "
        "&lt;https://phish|Verify your SSO login&gt;");
  CHECK(d.Escape("&lt;!channel&gt;") == "&amp;lt;!channel&amp;gt;");

  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  const json body = json::parse(poster.BuildPostBody(
      {"C1", "",
       HostileCard("<!channel>", "<@U0ADMIN>", "<https://phish|Verify your SSO login> <!here>",
                   "!channel"),
       ""}));
  // Unfurls off: a bare image address in the text is not fetched or shown.
  CHECK(body["unfurl_links"] == false);
  CHECK(body["unfurl_media"] == false);
  for (const std::string& rendered : {body["text"].get<std::string>(), body["blocks"].dump()}) {
    CHECK_FALSE(Has(rendered, "<!channel"));
    CHECK_FALSE(Has(rendered, "<!here"));
    CHECK_FALSE(Has(rendered, "<@U0ADMIN"));
    CHECK_FALSE(Has(rendered, "<https://phish"));
    CHECK(Has(rendered, "open on Webhook: !channel"));
  }
}

TEST_CASE(
    "Slack command answers and response_url posts never preview an address a customer wrote") {
  const json answer =
      json::parse(SlackCommandResponse({"customer wrote https://attacker/px.png", false}));
  CHECK(answer["unfurl_links"] == false);
  CHECK(answer["unfurl_media"] == false);
  CHECK(answer["response_type"] == "ephemeral");

  test::FakeHttpClient http;
  SlackPoster poster({"https://slack.test/api", "xoxb-1", "", 1000}, http);
  http.PushStatus(200, "ok");
  REQUIRE(
      poster.Respond("https://hooks.slack.com/actions/T1/1/x", "https://attacker/px.png").kind ==
      OutcomeKind::kDone);
  const json told = json::parse(http.requests().at(0).body);
  CHECK(told["unfurl_links"] == false);
  CHECK(told["unfurl_media"] == false);
}

TEST_CASE("links: only http(s) addresses without markup characters become links, in every chat") {
  for (const char* good : {"https://x.com/ana/status/1", "http://crm.example.com/m/1?a=1&b=2",
                           "HTTPS://example.com", "https://en.wikipedia.org/wiki/C_(language)"}) {
    CHECK_MESSAGE(IsLinkTarget(good), good);
  }
  for (const char* bad :
       {"!channel", "javascript:alert(1)", "https://a|b", "https://x.com>", "https://x.com<",
        "https://x.com/a b", "https://x.com/\"q", "https://", "http:///etc/passwd",
        "ftp://x.example", "data:text/html,x", "https://x.com/\x1b[2J", "https://x.com/`",
        "https://x.com\\@y", "//x.com", "", "mailto:a@b.example", "<!channel>"}) {
    CHECK_MESSAGE(!IsLinkTarget(bad), bad);
  }

  SlackDialect slack;
  CHECK(slack.Link("https://x.com/a", "open on X") == "<https://x.com/a|open on X>");
  CHECK(slack.Link("!channel", "open on Webhook") == "open on Webhook: !channel");
  CHECK(slack.Link("javascript:alert(1)", "open") == "open: javascript:alert(1)");
  CHECK(slack.Link("https://a|b", "open") == "open: https://a|b");
  CHECK(slack.Link("https://x.com>", "open") == "open: https://x.com&gt;");
  CHECK(slack.Link("<!channel>", "open") == "open: &lt;!channel&gt;");

  MattermostDirectory dir;
  MattermostDialect mm(dir);
  CHECK(mm.Link("https://x.com/a", "open on X") == "[open on X](https://x.com/a)");
  CHECK(mm.Link("https://en.wikipedia.org/wiki/C_(language)", "open") ==
        "[open](https://en.wikipedia.org/wiki/C_%28language%29)");
  CHECK(mm.Link("!channel", "open on Webhook") == "open on Webhook: \\!channel");
  CHECK(mm.Link("javascript:alert(1)", "open") == "open: javascript&#58;alert\\(1\\)");
  CHECK(mm.Link("https://a|b", "open") == "open: https&#58;//a\\|b");
  CHECK(mm.Link("https://x.com) [x](https://phish", "open") ==
        "open: https&#58;//x\\.com\\) \\[x\\]\\(https&#58;//phish");

  ConsoleDialect console;
  CHECK(console.Link("https://x.com/a", "open") == "open: https://x.com/a");
  CHECK(console.Link("https://x.com/\x1b]0;owned\x07", "open") == "open: https://x.com/]0;owned");
}

TEST_CASE_TEMPLATE(
    "the generic receiver's returned url is linked only when it is an http(s) address", F,
    test::SqliteFactory, test::PgFactory) {
  for (const char* url : {"!channel", "javascript:alert(1)", "https://a|b", "https://x.com>"}) {
    test::StaffRig rig(F::kKind);
    if (!rig.available()) return;
    auto id = rig.Ingest("e1", "c1");
    rig.Deliver();
    rig.http.PushStatus(200, json{{"url", url}}.dump());
    rig.ReplyAndDeliver(id);
    const auto notices = rig.Notices();
    REQUIRE(!notices.empty());
    const std::string& confirmation = notices.back();
    CHECK(Has(confirmation, "posted on Webhook"));
    CHECK_MESSAGE(!Has(confirmation, "|view it on Webhook>"), confirmation);
    CHECK_MESSAGE(!Has(confirmation, "<!channel"), confirmation);
    CHECK(Has(confirmation, "view it on Webhook: "));
  }
  MattermostDirectory dir;
  MattermostDialect mm(dir);
  CHECK(notices::ReplySent(mm, "u1", "hi", "Webhook", "!channel").find("](") == std::string::npos);
  CHECK(Has(notices::ReplySent(mm, "u1", "hi", "Webhook", "https://crm.example.com/r/1"),
            "[view it on Webhook](https://crm.example.com/r/1)"));
}

TEST_CASE_TEMPLATE("Mattermost command answers: show, queue and stats keep customer text inert", F,
                   test::SqliteFactory, test::PgFactory) {
  MattermostDirectory dir;
  MattermostDialect mm(dir);
  test::StaffRigOptions options;
  options.store = F::kKind;
  options.dialect = &mm;
  test::StaffRig rig(options);
  if (!rig.available()) return;
  auto ingested = rig.store->Ingest(
      {{HostileMention("e1", "[Verify your SSO login](https://phish)", "here",
                       "![](https://attacker/px.png) please @channel", "javascript:alert(1)"),
        "C1", ""}},
      rig.clock.NowMs());
  REQUIRE(ingested.ok());
  rig.Deliver();

  const std::string show = rig.Command("show 1");
  const std::string queue = rig.Command("queue");
  const std::string stats = rig.Command("stats");
  for (const std::string& answer : {show, queue, stats}) {
    CHECK_MESSAGE(!Has(answer, "[Verify your SSO login]("), answer);
    CHECK_MESSAGE(!Has(answer, "!["), answer);
    CHECK_MESSAGE(!Has(answer, "://"), answer);
    CHECK_MESSAGE(!Has(answer, "@here"), answer);
    CHECK_MESSAGE(!Has(answer, "@channel"), answer);
    CHECK_MESSAGE(Has(answer, "\\[Verify your SSO login\\]"), answer);
  }
  CHECK(Has(show, "open: javascript&#58;alert\\(1\\)"));
  CHECK_FALSE(Has(show, "](javascript"));
  CHECK(Has(stats, "Top authors by reach:"));
  // Staff text in code spans is shown as typed: no backslashes inside a code span.
  CHECK(Has(rig.Command("show x_1"), "`x_1` is not a conversation ref"));
}

TEST_CASE("console: customer text cannot send terminal escape sequences") {
  ConsoleDialect d;
  CHECK(d.Escape("hi\x1b]0;owned\x07 there\x1b[2J\n\tok\xC2\x9B"
                 "31m") == "hi]0;owned there[2J\n\tok31m");
  CHECK(d.Escape("é ü 日本") == "é ü 日本");
}

}  // namespace duplex
