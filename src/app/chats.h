// The chats duplex can work in, in one table: each kind ("slack", "mattermost", "console")
// builds its poster and, once the command service exists, adds its endpoints to the server.
// App::Create looks the configured kind up here and nowhere else decides by it.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "app/background.h"
#include "app/config.h"
#include "app/http_server.h"
#include "chat/chat.h"
#include "commands/command_service.h"
#include "commands/thread_messages.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/metrics.h"

namespace duplex {

// What a chat is built from. Everything outlives the chat.
struct ChatEnvironment {
  const ChatConfig& config;
  HttpClient& http;
  const Clock& clock;
  Metrics& metrics;
  // Courtesy messages that must not hold up an HTTP answer (Slack's private answers).
  Background& background;
  std::ostream& console;  // the console chat's output
};

// One configured chat: the poster deliveries go through, and its endpoints.
class Chat {
 public:
  virtual ~Chat() = default;
  virtual ChatPoster& poster() = 0;
  // Adds the chat's endpoints (slash commands, interactivity, events) to `server`. `commands`
  // and `threads` outlive the server.
  virtual void AddRoutes(HttpServer& server, CommandService& commands,
                         const ThreadMessageDeps& threads) = 0;
};

// The chat of `env.config.kind`; Invalid for a kind duplex does not know.
Result<std::unique_ptr<Chat>> MakeChat(const ChatEnvironment& env);

}  // namespace duplex
