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

}  // namespace duplex
