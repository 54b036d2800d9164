// Parsing the text of a chat command (`/duplex <verb> …`). Pure: no store, no chat.
// Tokens are separated by whitespace; "double", “curly” or 'single' quotes group words;
// each token remembers where it stood, so a verb can take the rest of the line verbatim
// (reply text keeps its spacing and newlines).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace duplex {

struct Token {
  std::string value;      // unquoted
  std::size_t begin = 0;  // byte offsets in the raw text
  std::size_t end = 0;
};

struct ParsedCommand {
  std::string verb;  // lower-cased; "help" for empty text
  std::vector<Token> args;
  std::string raw;

  // The raw text from argument `index` to the end, trimmed; empty if there is none.
  std::string RestFrom(std::size_t index) const;
};

// strict: an unterminated quote is an error; otherwise the quote is kept as a character.
Result<std::vector<Token>> Tokenize(std::string_view text, bool strict = true);
Result<ParsedCommand> ParseCommandText(std::string_view text);

// A conversation ref: "42" or "#42", a positive integer.
std::optional<std::int64_t> ParseRef(std::string_view s);

}  // namespace duplex
