#include "chat/console/console_poster.h"

#include <sstream>

namespace duplex {

DeliveryOutcome ConsolePoster::Post(const ChatMessage& message) {
  const std::string id = "console-" + std::to_string(next_id_++);
  std::string body = message.card ? RenderCardText(*message.card, dialect_, 4000) : message.text;
  std::ostringstream line;
  line << "[chat #" << message.channel;
  if (!message.thread.empty()) line << " thread " << message.thread;
  line << "] ";
  // Indent continuation lines so each post reads as one block.
  for (char c : body) {
    line << c;
    if (c == '\n') line << "    ";
  }
  line << "\n";
  std::lock_guard lock(mu_);
  out_ << line.str() << std::flush;
  return DeliveryOutcome::Done(id);
}

}  // namespace duplex
