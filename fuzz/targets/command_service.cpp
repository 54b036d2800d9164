// CommandService end to end on a real SQLite store (in memory): whatever text staff or admins
// type, Execute answers and never crashes.
#include <nlohmann/json.hpp>

#include "commands/admin_commands.h"
#include "fuzz/fuzz_targets.h"
#include "fuzz/targets/command_world.h"

namespace duplex::fuzz {
namespace {

Mention SeedMention(const std::string& platform, const std::string& id, MentionKind kind) {
  Mention m;
  m.platform = platform;
  m.event_id = "ev-" + id;
  m.kind = kind;
  m.author.id = "author-" + id;
  m.author.handle = "ana";
  m.author.name = "Ana";
  m.author.followers = 1250;
  m.text = "My order has not arrived";
  m.conversation_key = "conv-" + id;
  m.message_id = id;
  m.reply_target = nlohmann::json{{"conversation", m.conversation_key}, {"in_reply_to", id}}.dump();
  return m;
}

}  // namespace

CommandWorld::CommandWorld() {
  SqliteOptions o;
  o.path = ":memory:";
  auto opened = SqliteStore::Open(o);
  if (!opened.ok()) __builtin_trap();
  store = std::move(*opened);
  std::vector<IngestItem> items = {
      {SeedMention("generic", "m1", MentionKind::kDirect), "C0SOCIAL", ""},
      {SeedMention("generic", "m2", MentionKind::kMention), "C0OTHER", ""},
  };
  if (!store->Ingest(items, kFuzzNow).ok()) __builtin_trap();
  // Post both thread roots, as the delivery worker would, so thread messages find them.
  auto due = store->ClaimDue("fuzz", kFuzzNow, 60'000, 10, {}, {});
  if (!due.ok() || due->size() != 2) __builtin_trap();
  for (const Delivery& d : *due) {
    DeliveryUpdate done;
    done.id = d.id;
    done.owner = d.owner;
    done.chat_thread_for_conversation = d.conversation_id == 1 ? kThreadTs1 : kThreadTs2;
    done.message_chat_post = done.chat_thread_for_conversation;
    if (!store->FinishDelivery(done, kFuzzNow).ok()) __builtin_trap();
  }
  connectors["generic"] =
      MakeConnector("generic", {{"secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, nullptr);
  router = std::make_unique<SharedRouter>(
      std::make_shared<const Router>(std::vector<Route>{}, "C0SOCIAL"));
  CommandDeps deps;
  deps.store = store.get();
  deps.clock = &clock;
  deps.dialect = &dialect;
  deps.connectors = &connectors;
  deps.wake_delivery = [] {};
  deps.config_admins = {"U0ADMIN"};
  deps.default_channel = "C0SOCIAL";
  deps.router = [this] { return router->Get(); };
  deps.reload_routes = [this]() -> Status {
    auto routes = store->ListRoutes();
    if (!routes.ok()) return routes.status();
    router->Set(std::make_shared<const Router>(std::move(*routes), "C0SOCIAL"));
    return Status::Ok();
  };
  service = std::make_unique<CommandService>(deps);
  RegisterAdminCommands(*service);
}

CommandWorld& WorldFor(std::unique_ptr<CommandWorld>& world, int& uses) {
  if (!world || ++uses > 64) {
    world = std::make_unique<CommandWorld>();
    uses = 1;
  }
  return *world;
}

int FuzzCommandService(const std::uint8_t* data, std::size_t size) {
  QuietLogs();
  if (size == 0) return 0;
  static std::unique_ptr<CommandWorld> shared;
  static int uses = 0;
  static std::uint64_t invocation = 0;
  CommandWorld& world = WorldFor(shared, uses);
  CommandContext ctx;
  ctx.team_id = "T0001";
  ctx.channel_id = "C0SOCIAL";
  ctx.user_id = (data[0] & 1) ? "U0ADMIN" : "U0STAFF";
  ctx.user_name = "staff";
  ctx.command = (data[0] & 2) ? "/reply" : "/duplex";
  // Up to 8 commands per input, separated by \x1e, so sequences (add then remove) are explored.
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  int n = 0;
  while (n++ < 8) {
    std::size_t cut = rest.find('\x1e');  // record separator: one command may span lines
    ctx.text = std::string(rest.substr(0, cut));
    ctx.request_id = "trigger-" + std::to_string(++invocation);  // never a repeat
    CommandAnswer answer = world.service->Execute(ctx);
    (void)answer.text.size();
    if (cut == std::string_view::npos) break;
    rest.remove_prefix(cut + 1);
  }
  return 0;
}

}  // namespace duplex::fuzz
