#include "chat/console/console_poster.h"

#include <sstream>

namespace duplex {

std::string ConsoleDialect::Escape(const std::string& text) const {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) continue;
    // C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F): some terminals read U+009B as CSI.
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0 &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80) {
      ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

DeliveryOutcome ConsolePoster::Post(const ChatMessage& message) {
  const std::string id = "console-" + std::to_string(next_id_++);
  Print(message.thread.empty() ? "" : " thread " + message.thread, message);
  return DeliveryOutcome::Done(id);
}

DeliveryOutcome ConsolePoster::Update(const ChatMessage& message, const std::string& post_id) {
  Print(" edit " + post_id, message);
  return DeliveryOutcome::Done(post_id);
}

void ConsolePoster::Print(const std::string& prefix, const ChatMessage& message) {
  std::string body = message.card ? RenderCardText(*message.card, dialect_, 4000) : message.text;
  std::ostringstream line;
  line << "[chat #" << message.channel << prefix << "] ";
  // Indent continuation lines so each post reads as one block.
  for (char c : body) {
    line << c;
    if (c == '\n') line << "    ";
  }
  line << "\n";
  std::lock_guard lock(mu_);
  out_ << line.str() << std::flush;
}

}  // namespace duplex
