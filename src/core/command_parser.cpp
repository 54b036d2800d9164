#include "core/command_parser.h"

#include "core/text.h"

namespace duplex {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

constexpr std::string_view kLeftCurly = "\xE2\x80\x9C";   // “
constexpr std::string_view kRightCurly = "\xE2\x80\x9D";  // ”

}  // namespace

std::string ParsedCommand::RestFrom(std::size_t index) const {
  if (index >= args.size()) return {};
  return text::Trim(std::string_view(raw).substr(args[index].begin));
}

Result<std::vector<Token>> Tokenize(std::string_view text, bool strict) {
  std::vector<Token> out;
  // Where each closing quote was last found missing: a later search from there on fails
  // too, so text full of unmatched quotes is not scanned once per quote.
  std::size_t missing_from[3] = {std::string_view::npos, std::string_view::npos,
                                 std::string_view::npos};
  auto find_close = [&](std::string_view close, std::size_t from) {
    const int kind = close == "\"" ? 0 : close == "'" ? 1 : 2;
    if (missing_from[kind] != std::string_view::npos && from >= missing_from[kind]) {
      return std::string_view::npos;
    }
    std::size_t at = text.find(close, from);
    if (at == std::string_view::npos) missing_from[kind] = from;
    return at;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i >= text.size()) break;
    Token t;
    t.begin = i;
    while (i < text.size() && !IsSpace(text[i])) {
      std::string_view close;
      std::size_t open_len = 0;
      if (text[i] == '"' || text[i] == '\'') {
        close = text.substr(i, 1);
        open_len = 1;
      } else if (text.substr(i, kLeftCurly.size()) == kLeftCurly) {
        close = kRightCurly;
        open_len = kLeftCurly.size();
      }
      if (open_len == 0) {
        t.value.push_back(text[i++]);
        continue;
      }
      std::size_t end = find_close(close, i + open_len);
      if (end == std::string_view::npos) {
        // An apostrophe inside a word ("don't") is not a quote.
        if (!strict || (close == "'" && !t.value.empty())) {
          t.value.push_back(text[i++]);
          continue;
        }
        return Status::Invalid("unterminated quote");
      }
      t.value.append(text.substr(i + open_len, end - i - open_len));
      i = end + close.size();
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  return out;
}

Result<ParsedCommand> ParseCommandText(std::string_view text) {
  ParsedCommand cmd;
  cmd.raw = std::string(text);
  // Lenient: free text after the verb (a reply) may hold a lone quote.
  std::size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  std::size_t verb_end = i;
  while (verb_end < text.size() && !IsSpace(text[verb_end])) ++verb_end;
  cmd.verb = text::ToLowerAscii(text.substr(i, verb_end - i));
  if (cmd.verb.empty()) {
    cmd.verb = "help";
    return cmd;
  }
  auto tokens = Tokenize(text.substr(verb_end), /*strict=*/false);
  if (!tokens.ok()) return tokens.status();
  for (auto& t : *tokens) {
    t.begin += verb_end;
    t.end += verb_end;
  }
  cmd.args = std::move(*tokens);
  return cmd;
}

std::optional<std::int64_t> ParseRef(std::string_view s) {
  if (!s.empty() && s[0] == '#') s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto v = text::ParseInt64(s);
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

}  // namespace duplex
