// Reply templates (core/templates.h): names, the `:name` reply form, placeholders.
#include <doctest/doctest.h>

#include "core/templates.h"

namespace duplex {

TEST_CASE("template names: a-z, 0-9, - and _, starting with a letter or digit, up to 32") {
  CHECK(IsTemplateName("thanks"));
  CHECK(IsTemplateName("refund-policy_2"));
  CHECK(IsTemplateName(std::string(32, 'a')));
  CHECK_FALSE(IsTemplateName(std::string(33, 'a')));
  CHECK_FALSE(IsTemplateName(""));
  CHECK_FALSE(IsTemplateName("-x"));
  CHECK_FALSE(IsTemplateName("Thanks"));
  CHECK_FALSE(IsTemplateName("wave:"));
  CHECK_FALSE(IsTemplateName("two words"));
}

TEST_CASE("a reply is a template reference only when the whole text is :name") {
  CHECK(TemplateReference(":thanks") == std::optional<std::string>("thanks"));
  CHECK(TemplateReference("  :Thanks \n") == std::optional<std::string>("thanks"));
  CHECK_FALSE(TemplateReference(":)").has_value());
  CHECK_FALSE(TemplateReference(":wave:").has_value());
  CHECK_FALSE(TemplateReference(":thanks and more").has_value());
  CHECK_FALSE(TemplateReference("thanks").has_value());
  CHECK_FALSE(TemplateReference(":").has_value());
}

TEST_CASE("templates fill {author}, {handle} and {ref} everywhere, other braces stay") {
  TemplateVars v{"Ana Lima", "ana", "#42"};
  CHECK(FillTemplate("Hi {author} (@{handle}), about {ref}: {author}!", v) ==
        "Hi Ana Lima (@ana), about #42: Ana Lima!");
  CHECK(FillTemplate("{unknown} {author", v) == "{unknown} {author");
  CHECK(FillTemplate("{{author}}", v) == "{Ana Lima}");
  TemplateVars injected{"{handle}", "h", "#1"};
  CHECK(FillTemplate("{author}", injected) == "{handle}");  // values are not filled again
}

namespace {
const std::string kWj = "\xE2\x81\xA0";  // U+2060 WORD JOINER
}  // namespace

TEST_CASE("{author} cannot make the brand mention, tag or link anyone") {
  // The review's case: the display name is posted by the brand.
  CHECK(FillTemplate("Hi {author}, sorry!", {"@victim is a scammer", "troll", "#1"}) ==
        "Hi victim is a scammer, sorry!");
  CHECK(InertName("@victim is a scammer") == "victim is a scammer");
  CHECK(InertName("  @@#$ victim") == "victim");
  CHECK(InertName("\xEF\xBC\xA0victim") == "victim");  // full-width @
  CHECK(InertName("Ana @victim") == "Ana @" + kWj + "victim");
  CHECK(InertName("Ana \xEF\xBC\xA0victim") == "Ana \xEF\xBC\xA0" + kWj + "victim");
  CHECK(InertName("Ana #scam $TSLA") == "Ana #" + kWj + "scam $" + kWj + "TSLA");
  CHECK(InertName("Ana #123") == "Ana #" + kWj + "123");  // GitHub issue reference
  CHECK(InertName("https://phish.example/x") == "https:" + kWj + "//phish." + kWj + "example/x");
  CHECK(InertName("visit evil.com") == "visit evil." + kWj + "com");
  CHECK(InertName("www.evil.com") == "www." + kWj + "evil." + kWj + "com");
  CHECK(InertName("[Verify](https://phish)") == "[Verify]" + kWj + "(https:" + kWj + "//phish)");
  CHECK(InertName("![x][ref]") == "![x]" + kWj + "[ref]");
  CHECK(InertName("<img src=https://t/p.png>") ==
        "<" + kWj + "img src=https:" + kWj + "//t/p." + kWj + "png>");
  // Bidirectional overrides and control characters go, line breaks become spaces.
  CHECK(InertName("Ana\xE2\x80\xAE"
                  "evil\x1b[2J\nLima") == "Anaevil[2J Lima");
  // Ordinary names read exactly as before.
  CHECK(InertName("Ana Lima") == "Ana Lima");
  CHECK(InertName("José Ñúñez") == "José Ñúñez");
  CHECK(InertName("Dr. Ana: support") == "Dr. Ana: support");
  CHECK(InertName("Ana (ACME)") == "Ana (ACME)");
  CHECK(InertName("@") == "");
}

TEST_CASE("{handle} addresses the customer, and only the customer") {
  CHECK(FillTemplate("@{handle}", {"Ana", "ana_lima", "#1"}) == "@ana_lima");
  CHECK(FillTemplate("@{handle}", {"Ana", "@ana.lima", "#1"}) == "@ana.lima");
  // A handle that is not a handle cannot turn the template's @ into someone else's mention.
  CHECK(FillTemplate("@{handle}", {"Ana", "victim is a scammer", "#1"}) ==
        "@" + kWj + "victim is a scammer");
  CHECK(FillTemplate("@{handle}", {"Ana", "x @victim", "#1"}) ==
        "@" + kWj + "x @" + kWj + "victim");
  CHECK(FillTemplate("@{handle}", {"Ana", "https://phish", "#1"}) ==
        "@" + kWj + "https:" + kWj + "//phish");
}

}  // namespace duplex
