#include <doctest/doctest.h>

#include "chat/chat.h"
#include "core/command_parser.h"
#include "core/text.h"

namespace duplex {

TEST_CASE("UTF-8 helpers never split a code point and repair invalid bytes") {
  CHECK(text::TruncateUtf8("héllo wörld", 5) == "héll\xE2\x80\xA6");
  CHECK(text::TruncateUtf8("short", 10) == "short");
  CHECK(text::CountCodePoints("日本語") == 3);
  CHECK(text::TruncateUtf8("日本語テキスト", 3) == "日本\xE2\x80\xA6");
  CHECK(text::SanitizeUtf8("ok\xFF\xFEok") == "ok\xEF\xBF\xBD\xEF\xBF\xBDok");
  CHECK(text::SanitizeUtf8("\xC0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong NUL
  CHECK(text::JsonQuote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
  CHECK(text::JsonQuote("\xFF") == "\"\xEF\xBF\xBD\"");
}

TEST_CASE("form decoding handles +, percent escapes and broken escapes") {
  CHECK(text::UrlDecode("a+b%20c%2Fd") == "a b c/d");
  CHECK(text::UrlDecode("100%") == "100%");
  CHECK(text::UrlDecode("%zz") == "%zz");
  CHECK(text::UrlDecode(text::UrlEncode("reply #1 ü & = +")) == "reply #1 ü & = +");
}

TEST_CASE("numbers: parsing is whole-string, formatting groups thousands") {
  CHECK(text::ParseInt64("42") == 42);
  CHECK_FALSE(text::ParseInt64("42x").has_value());
  CHECK_FALSE(text::ParseInt64("").has_value());
  CHECK_FALSE(text::ParseInt64("+").has_value());
  CHECK_FALSE(text::ParseInt64("99999999999999999999").has_value());
  CHECK(text::FormatThousands(0) == "0");
  CHECK(text::FormatThousands(999) == "999");
  CHECK(text::FormatThousands(1000) == "1,000");
  CHECK(text::FormatThousands(1234567) == "1,234,567");
  CHECK(text::FormatThousands(-1234) == "-1,234");
}

TEST_CASE("command text: verb, refs and the rest of the line verbatim") {
  auto cmd = ParseCommandText("  Reply #42   Thanks,\n  a fix is \"on\" its way ");
  REQUIRE(cmd.ok());
  CHECK(cmd->verb == "reply");
  REQUIRE(cmd->args.size() >= 2);
  CHECK(ParseRef(cmd->args[0].value) == 42);
  CHECK(cmd->RestFrom(1) == "Thanks,\n  a fix is \"on\" its way");
  CHECK(ParseCommandText("")->verb == "help");
  CHECK(ParseCommandText("   ")->verb == "help");
}

TEST_CASE("command text: a lone quote in free text is kept, strict tokenizing refuses it") {
  auto cmd = ParseCommandText("reply 1 He said \"hi");
  REQUIRE(cmd.ok());
  CHECK(cmd->RestFrom(1) == "He said \"hi");
  CHECK(Tokenize("keywords=\"a b", true).status().message() == "unterminated quote");
  auto quoted = Tokenize("name keywords=\"late order\" ‘x’ “smart quotes” don't", true);
  REQUIRE(quoted.ok());
  REQUIRE(quoted->size() == 5);
  CHECK((*quoted)[1].value == "keywords=late order");
  CHECK((*quoted)[3].value == "smart quotes");
  CHECK((*quoted)[4].value == "don't");
}

TEST_CASE("command text: refs") {
  CHECK(ParseRef("42") == 42);
  CHECK(ParseRef("#42") == 42);
  CHECK_FALSE(ParseRef("0").has_value());
  CHECK_FALSE(ParseRef("-1").has_value());
  CHECK_FALSE(ParseRef("#").has_value());
  CHECK_FALSE(ParseRef("4 2").has_value());
  CHECK_FALSE(ParseRef("abc").has_value());
  CHECK_FALSE(ParseRef("99999999999999999999").has_value());
}

TEST_CASE("command text: Slack channel and user escapes and raw ids") {
  CHECK(ParseChannelRef("<#C024BE7LR|general>") == "C024BE7LR");
  CHECK(ParseChannelRef("<#C024BE7LR>") == "C024BE7LR");
  CHECK(ParseChannelRef("C024BE7LR") == "C024BE7LR");
  CHECK(ParseChannelRef("#C024BE7LR") == "C024BE7LR");
  CHECK(ParseChannelRef("<@U123|ana>") == "");
  CHECK(ParseUserRef("<@U123|ana>") == "U123");
  CHECK(ParseUserRef("<@U123>") == "U123");
  CHECK(ParseUserRef("@U123") == "U123");
  CHECK(ParseUserRef("<#C1|x>") == "");
  CHECK(ParseUserRef("bad id!") == "");
}

TEST_CASE("command text: very long text over 8 KiB survives parsing") {
  std::string long_text(20000, 'y');
  auto cmd = ParseCommandText("reply 7 " + long_text);
  REQUIRE(cmd.ok());
  CHECK(cmd->RestFrom(1) == long_text);
}

}  // namespace duplex
