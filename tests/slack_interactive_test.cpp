#include <doctest/doctest.h>

#include "handlers/slack_interactive.h"

namespace duplex {

TEST_CASE("a thread message is a reply for the customer only when it starts with reply:") {
  CHECK(ThreadReplyText("reply: Thanks!") == std::optional<std::string>("Thanks!"));
  CHECK(ThreadReplyText("  Reply :  two\nlines ") == std::optional<std::string>("two\nlines"));
  CHECK(ThreadReplyText("REPLY:x") == std::optional<std::string>("x"));
  CHECK(ThreadReplyText("reply:") == std::optional<std::string>(""));  // refused later: empty
  CHECK(ThreadReplyText("reply") == std::nullopt);
  CHECK(ThreadReplyText("reply: ") == std::optional<std::string>(""));
  CHECK(ThreadReplyText("replying: soon") == std::nullopt);
  CHECK(ThreadReplyText("reply to them tomorrow") == std::nullopt);
  CHECK(ThreadReplyText("we should reply: yes") == std::nullopt);
  CHECK(ThreadReplyText("") == std::nullopt);
}

}  // namespace duplex
