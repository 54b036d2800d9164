// Slack's limits count text as sent, after escaping; cuts never break an entity, a UTF-8
// sequence or <…> markup.
#include <doctest/doctest.h>

#include <random>

#include "chat/slack/slack_limits.h"
#include "chat/slack/slack_poster.h"
#include "core/text.h"

namespace duplex {
namespace {

const std::string kEllipsis = "\xE2\x80\xA6";

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Every '&' starts one of the three entities Slack's escaping uses.
bool EntitiesWhole(const std::string& s) {
  for (std::size_t i = s.find('&'); i != std::string::npos; i = s.find('&', i + 1)) {
    if (s.compare(i, 5, "&amp;") != 0 && s.compare(i, 4, "&lt;") != 0 &&
        s.compare(i, 4, "&gt;") != 0)
      return false;
  }
  return true;
}

// Every '<' is closed by a '>' before the next '<'.
bool MarkupWhole(const std::string& s) {
  bool open = false;
  for (char c : s) {
    if (c == '<') {
      if (open) return false;
      open = true;
    } else if (c == '>') {
      open = false;
    }
  }
  return !open;
}

}  // namespace

TEST_CASE("Slack length: UTF-16 code units, so an emoji counts twice and an entity five times") {
  CHECK(slack::SlackLength("") == 0);
  CHECK(slack::SlackLength("abc") == 3);
  CHECK(slack::SlackLength("&amp;") == 5);
  CHECK(slack::SlackLength("\xC3\xA9") == 1);          // é
  CHECK(slack::SlackLength("\xE4\xB8\xAD") == 1);      // 中
  CHECK(slack::SlackLength("\xF0\x9F\x98\x80") == 2);  // 😀
  CHECK(slack::SlackLength("\xFF\xFE") == 2);          // not UTF-8: one each
}

TEST_CASE(
    "a 2,990-character message full of & < > becomes a section within 3,000 escaped characters, no "
    "entity broken") {
  std::string text;
  for (int i = 0; text.size() < 2990; ++i) text += "&<>"[i % 3];
  text.resize(2990);
  SlackDialect d;
  const std::string escaped = d.Escape(text);
  REQUIRE(slack::SlackLength(escaped) > 3000);  // what the old cut-then-escape sent
  const std::string fitted = slack::FitMrkdwn(escaped, slack::kSectionTextMax);
  CHECK(slack::SlackLength(fitted) <= 3000);
  CHECK(slack::SlackLength(fitted) >= 2995);  // cut as late as whole entities allow
  CHECK(EndsWith(fitted, kEllipsis));
  const std::string body = fitted.substr(0, fitted.size() - kEllipsis.size());
  CHECK(EntitiesWhole(body));
  const std::string plain = d.ToPlain(body);
  CHECK(text.compare(0, plain.size(), plain) == 0);  // the customer's words, in order, none bent
}

TEST_CASE(
    "fitting mrkdwn: text within the limit is unchanged, links, mentions and dates are kept whole "
    "or left out") {
  CHECK(slack::FitMrkdwn("short &amp; sweet", 3000) == "short &amp; sweet");
  CHECK(slack::FitMrkdwn("abcdef", 6) == "abcdef");
  CHECK(slack::FitMrkdwn("abcdefg", 6) == "abcde" + kEllipsis);
  CHECK(slack::FitMrkdwn("ab&amp;cd", 6) == "ab" + kEllipsis);  // not "ab&am…"
  CHECK(slack::FitMrkdwn("ab&lt;cd", 7) == "ab&lt;" + kEllipsis);
  CHECK(slack::FitMrkdwn("see <https://acme.example/t/1|tracking> now", 20) == "see " + kEllipsis);
  CHECK(slack::FitMrkdwn("hi <@U0ANA> and <!here> ok", 25) ==
        "hi <@U0ANA> and <!here> " + kEllipsis);
  CHECK(slack::FitMrkdwn("hi <@U0ANA> and <!here> ok", 23) == "hi <@U0ANA> and " + kEllipsis);
  CHECK(slack::FitMrkdwn("a\xF0\x9F\x98\x80"
                         "b",
                         3) == "a" + kEllipsis);  // the emoji counts 2
  CHECK(slack::FitMrkdwn("anything", 0).empty());
  // A '<' that nothing closes is one character like any other.
  CHECK(slack::FitMrkdwn("a < b < c", 5) == "a < " + kEllipsis);
}

TEST_CASE("fitting plain text cuts between code points") {
  CHECK(slack::FitPlain("Reply to #1234567890123456789", 24) ==
        "Reply to #1234567890123" + kEllipsis);
  CHECK(slack::FitPlain("\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD", 2) == "\xE4\xB8\xAD" + kEllipsis);
  CHECK(slack::FitPlain("&amp;", 5) == "&amp;");
}

TEST_CASE(
    "property: any mix of & < >, markup and multi-byte text fits, stays valid UTF-8 and keeps its "
    "order") {
  const std::vector<std::string> pieces = {
      "&", "<", ">", "a", " ", "\n", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "|", "@", "*"};
  std::mt19937 rng(20'240'515);
  SlackDialect d;
  for (int round = 0; round < 400; ++round) {
    std::string text;
    const int n = std::uniform_int_distribution<int>(0, 4'000)(rng);
    for (int i = 0; i < n; ++i)
      text += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    // Some markup of duplex's own between the customer's words, as a notice has it.
    const std::string mrkdwn =
        d.Escape(text) + " <https://x.example/p?a=1&amp;b=2|open> <@U0ANA> " + d.Escape(text);
    for (std::size_t max : {std::size_t{1}, std::size_t{75}, slack::kTextObjectMax,
                            slack::kSectionTextMax, std::size_t{9'000}}) {
      const std::string fitted = slack::FitMrkdwn(mrkdwn, max);
      INFO("round " << round << ", max " << max);
      CHECK(slack::SlackLength(fitted) <= max);
      CHECK(text::SanitizeUtf8(fitted) == fitted);
      CHECK(EntitiesWhole(fitted));
      CHECK(MarkupWhole(fitted));
      if (fitted != mrkdwn) {
        REQUIRE(EndsWith(fitted, kEllipsis));
        CHECK(mrkdwn.compare(0, fitted.size() - kEllipsis.size(), fitted, 0,
                             fitted.size() - kEllipsis.size()) == 0);
        // Nothing that would have fit was given up: the next unit is what did not fit.
        CHECK(slack::SlackLength(fitted) + 5 + 60 > max);
      }
      const std::string plain_fitted = slack::FitPlain(text, max);
      CHECK(slack::SlackLength(plain_fitted) <= max);
      CHECK(text::SanitizeUtf8(plain_fitted) == plain_fitted);
    }
  }
}

}  // namespace duplex
