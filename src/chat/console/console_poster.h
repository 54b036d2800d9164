// Console chat: notifications and results printed to a stream (stdout), for local use and
// the demo. Posts get ids "console-1", "console-2", ... so threads still work.
#pragma once

#include <atomic>
#include <mutex>
#include <ostream>

#include "chat/chat.h"

namespace duplex {

class ConsoleDialect final : public ChatDialect {
 public:
  // A terminal has no markup, but it obeys escape sequences: control characters other than
  // line breaks and tabs are dropped, so customer text cannot move the cursor, retitle the
  // window or hide lines.
  std::string Escape(const std::string& text) const override;
  std::string User(const std::string& user_id) const override { return "@" + user_id; }
  std::string Channel(const std::string& id) const override { return "#" + id; }
  std::size_t MaxPostChars() const override { return 4000; }

 private:
  std::string LinkTo(const std::string& url, const std::string& label) const override {
    return label + ": " + url;
  }
};

class ConsolePoster final : public ChatPoster {
 public:
  explicit ConsolePoster(std::ostream& out) : out_(out) {}
  const ChatDialect& Dialect() const override { return dialect_; }
  DeliveryOutcome Post(const ChatMessage& message) override;
  // Prints the new content, marked as an edit of `post_id`.
  DeliveryOutcome Update(const ChatMessage& message, const std::string& post_id) override;

 private:
  void Print(const std::string& prefix, const ChatMessage& message);

  std::ostream& out_;
  std::mutex mu_;
  std::atomic<long> next_id_{1};
  ConsoleDialect dialect_;
};

}  // namespace duplex
