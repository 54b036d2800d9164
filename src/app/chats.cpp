#include "app/chats.h"

#include "chat/console/console_poster.h"
#include "chat/mattermost/mattermost_poster.h"
#include "chat/slack/slack_poster.h"
#include "core/log.h"
#include "handlers/mattermost_handler.h"
#include "handlers/slack_handler.h"
#include "handlers/slack_interactive.h"

namespace duplex {
namespace {

// Slack's endpoints, for the Slack chat and for the console chat given a signing secret (the
// demo types slash commands as Slack would send them).
class SlackEndpoints {
 public:
  explicit SlackEndpoints(const ChatConfig& config) {
    command_.signing_secret = config.signing_secret;
    command_.team_id = config.team_id;
    interactive_.signing_secret = config.signing_secret;
    interactive_.team_id = config.team_id;
  }

  SlackInteractiveDeps& interactive() { return interactive_; }

  void AddRoutes(HttpServer& server, CommandService& commands, const ThreadMessageDeps& threads) {
    if (command_.signing_secret.empty()) return;
    command_.commands = &commands;
    interactive_.commands = &commands;
    interactive_.threads = threads;
    server.Post("/chat/slack/commands",
                [this](const InboundRequest& r) { return HandleSlackCommand(r, command_); });
    server.Post("/chat/slack/interactions", [this](const InboundRequest& r) {
      return HandleSlackInteraction(r, interactive_);
    });
    server.Post("/chat/slack/events",
                [this](const InboundRequest& r) { return HandleSlackEvent(r, interactive_); });
  }

 private:
  SlackHandlerDeps command_;
  SlackInteractiveDeps interactive_;
};

class SlackChat final : public Chat {
 public:
  explicit SlackChat(const ChatEnvironment& env)
      : poster_(Config(env.config), env.http, &env.clock, &env.metrics), endpoints_(env.config) {
    SlackPoster* poster = &poster_;
    Background* background = &env.background;
    SlackInteractiveDeps& deps = endpoints_.interactive();
    deps.open_view = [poster](const std::string& trigger, const nlohmann::json& view) {
      DeliveryOutcome o = poster->OpenView(trigger, view);
      if (o.kind != OutcomeKind::kDone) log::Warn("slack views.open failed", {{"error", o.error}});
      return o.kind == OutcomeKind::kDone;
    };
    // After the click's 200, on the background thread: a slow Slack must not hold the answer.
    deps.tell_user = [poster, background](const std::string& url, const std::string& text) {
      bool queued = background->Post([poster, url, text] {
        DeliveryOutcome o = poster->Respond(url, text);
        if (o.kind != OutcomeKind::kDone) {
          log::Warn("slack response_url post failed", {{"error", o.error}});
        }
      });
      if (!queued) log::Warn("slack response_url post dropped: too many waiting");
    };
    deps.tell_in_channel = [poster, background](const std::string& channel, const std::string& user,
                                                const std::string& thread,
                                                const std::string& text) {
      bool queued = background->Post([poster, channel, user, thread, text] {
        DeliveryOutcome o = poster->PostEphemeral(channel, user, thread, text);
        if (o.kind != OutcomeKind::kDone) {
          log::Warn("slack chat.postEphemeral failed", {{"error", o.error}});
        }
      });
      if (!queued) log::Warn("slack ephemeral answer dropped: too many waiting");
    };
  }

  ChatPoster& poster() override { return poster_; }
  void AddRoutes(HttpServer& server, CommandService& commands,
                 const ThreadMessageDeps& threads) override {
    endpoints_.AddRoutes(server, commands, threads);
  }

 private:
  static SlackConfig Config(const ChatConfig& c) {
    SlackConfig sc;
    sc.api_base = c.api_base;
    sc.bot_token = c.bot_token;
    sc.ca_file = c.ca_file;
    return sc;
  }

  SlackPoster poster_;
  SlackEndpoints endpoints_;
};

class MattermostChat final : public Chat {
 public:
  explicit MattermostChat(const ChatEnvironment& env)
      : poster_(Config(env.config), env.http, directory_) {
    deps_.command_tokens = env.config.command_tokens;
    deps_.team_id = env.config.team_id;
    deps_.directory = &directory_;
  }

  ChatPoster& poster() override { return poster_; }
  void AddRoutes(HttpServer& server, CommandService& commands, const ThreadMessageDeps&) override {
    deps_.commands = &commands;
    server.Post("/chat/mattermost/commands",
                [this](const InboundRequest& r) { return HandleMattermostCommand(r, deps_); });
  }

 private:
  static MattermostConfig Config(const ChatConfig& c) {
    MattermostConfig mc;
    mc.api_base = c.api_base;
    mc.bot_token = c.bot_token;
    mc.ca_file = c.ca_file;
    return mc;
  }

  MattermostDirectory directory_;  // before poster_, whose dialect reads it
  MattermostPoster poster_;
  MattermostHandlerDeps deps_;
};

class ConsoleChat final : public Chat {
 public:
  explicit ConsoleChat(const ChatEnvironment& env) : poster_(env.console), endpoints_(env.config) {}

  ChatPoster& poster() override { return poster_; }
  void AddRoutes(HttpServer& server, CommandService& commands,
                 const ThreadMessageDeps& threads) override {
    endpoints_.AddRoutes(server, commands, threads);
  }

 private:
  ConsolePoster poster_;
  SlackEndpoints endpoints_;
};

template <typename T>
std::unique_ptr<Chat> Make(const ChatEnvironment& env) {
  return std::make_unique<T>(env);
}

struct ChatKind {
  const char* kind;
  std::unique_ptr<Chat> (*make)(const ChatEnvironment&);
};

constexpr ChatKind kChats[] = {
    {"slack", &Make<SlackChat>},
    {"mattermost", &Make<MattermostChat>},
    {"console", &Make<ConsoleChat>},
};

}  // namespace

Result<std::unique_ptr<Chat>> MakeChat(const ChatEnvironment& env) {
  for (const ChatKind& k : kChats) {
    if (env.config.kind == k.kind) return k.make(env);
  }
  return Status::Invalid("chat.kind: unknown chat \"" + env.config.kind + "\"");
}

}  // namespace duplex
