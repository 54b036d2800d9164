// The chat endpoints as a chat server calls them: Slack slash commands, interactions (buttons,
// the reply modal) and Events API thread messages, and Mattermost slash commands. The target
// signs what the input says (Slack v0, or Mattermost's token), since a forged signature stops
// everything at the door and the verifiers have a target of their own (signatures); so the
// input reaches the form and JSON parsing, the workspace checks and the commands they run.
#include <nlohmann/json.hpp>

#include "chat/form.h"
#include "chat/mattermost/mattermost_poster.h"
#include "core/text.h"
#include "fuzz/fuzz_targets.h"
#include "fuzz/targets/command_world.h"
#include "handlers/mattermost_handler.h"
#include "handlers/slack_handler.h"
#include "handlers/slack_interactive.h"
#include "security/signatures.h"

namespace duplex::fuzz {
namespace {

constexpr const char* kSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* kMattermostToken = "tok-duplex";

}  // namespace

int FuzzChatEndpoints(const std::uint8_t* data, std::size_t size) {
  QuietLogs();
  if (size == 0) return 0;
  static std::unique_ptr<CommandWorld> shared;
  static int uses = 0;
  CommandWorld& world = WorldFor(shared, uses);
  // The first byte: bits 0-1 the endpoint (slash command, interaction, event, Mattermost);
  // bit 2: the rest is an interaction's payload JSON, to be form-encoded here; bit 3: Slack
  // refuses to open the reply modal; bit 4: a timestamp outside the window.
  const std::uint8_t how = data[0];
  InboundRequest request;
  request.method = "POST";
  request.now = kFuzzNow;
  request.body = std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  const int endpoint = how & 3;
  if (endpoint == 1 && (how & 4)) request.body = "payload=" + text::UrlEncode(request.body);
  if (endpoint == 3) {
    request.headers.emplace_back("Authorization", std::string("Token ") + kMattermostToken);
    MattermostDirectory directory;
    MattermostHandlerDeps deps;
    deps.command_tokens = {kMattermostToken};
    deps.team_id = "T0001";
    deps.commands = world.service.get();
    deps.directory = &directory;
    (void)HandleMattermostCommand(request, deps).body.size();
    return 0;
  }
  const std::string ts = std::to_string(kFuzzNow / 1000 - ((how & 16) ? 301 : 0));
  request.headers.emplace_back("X-Slack-Request-Timestamp", ts);
  request.headers.emplace_back("X-Slack-Signature",
                               security::SignSlackV0(kSigningSecret, ts, request.body));
  if (endpoint == 0) {
    SlackHandlerDeps deps;
    deps.signing_secret = kSigningSecret;
    deps.team_id = "T0001";
    deps.commands = world.service.get();
    (void)HandleSlackCommand(request, deps).body.size();
    return 0;
  }
  SlackInteractiveDeps deps;
  deps.signing_secret = kSigningSecret;
  deps.team_id = "T0001";
  deps.commands = world.service.get();
  deps.threads = {world.store.get(), world.service.get(), &world.dialect};
  deps.open_view = [how](const std::string& trigger_id, const nlohmann::json& view) {
    (void)trigger_id.size();
    (void)view.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return (how & 8) == 0;
  };
  deps.tell_user = [](const std::string& url, const std::string& text) {
    (void)url.size();
    (void)text.size();
  };
  HttpAnswer answer =
      endpoint == 1 ? HandleSlackInteraction(request, deps) : HandleSlackEvent(request, deps);
  (void)answer.body.size();
  return 0;
}

}  // namespace duplex::fuzz
