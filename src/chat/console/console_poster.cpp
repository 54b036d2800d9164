#include "chat/console/console_poster.h"

#include <sstream>

namespace duplex {

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
