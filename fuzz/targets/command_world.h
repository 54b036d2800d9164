// The world the command targets run in: a real SQLite store (in memory) holding two
// conversations whose Slack thread roots are posted, a generic connector, a router and a
// CommandService with every command registered. Opening and migrating a store costs more than
// a command, so a target keeps one world for 64 inputs, then starts a fresh one: state carries
// over that far (a crash may need its predecessors to reproduce), never further.
#pragma once

#include <memory>

#include "chat/slack/slack_poster.h"
#include "commands/command_service.h"
#include "core/routing/router.h"
#include "fuzz/targets/fuzz_support.h"
#include "storage/sqlite_store.h"

namespace duplex::fuzz {

// Where the seeded conversations' thread roots stand: channel C0SOCIAL for #1, C0OTHER for #2.
inline constexpr const char* kThreadTs1 = "1700000000.000100";
inline constexpr const char* kThreadTs2 = "1700000000.000200";

struct CommandWorld {
  CommandWorld();

  FixedClock clock;
  SlackDialect dialect;
  ConnectorMap connectors;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<SharedRouter> router;
  std::unique_ptr<CommandService> service;
};

// The world of the calling target, replaced by a fresh one every 64 calls.
CommandWorld& WorldFor(std::unique_ptr<CommandWorld>& world, int& uses);

}  // namespace duplex::fuzz
