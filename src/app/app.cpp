#include "app/app.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <mutex>

#include "app/background.h"
#include "app/http_server.h"
#include "app/httplib_client.h"
#include "commands/admin_commands.h"
#include "commands/command_service.h"
#include "chat/console/console_poster.h"
#include "chat/mattermost/mattermost_poster.h"
#include "chat/slack/slack_poster.h"
#include "core/log.h"
#include "core/routing/router.h"
#include "delivery/delivery_engine.h"
#include "delivery/sla_scheduler.h"
#include "delivery/worker.h"
#include "handlers/delivery_reports.h"
#include "handlers/mattermost_handler.h"
#include "handlers/ops_handler.h"
#include "handlers/slack_handler.h"
#include "handlers/slack_interactive.h"
#include "handlers/webhook_handler.h"
#include "platforms/registry.h"
#include "storage/group_commit.h"
#include "storage/open_store.h"

namespace duplex {

struct App::Impl {
  Config config;
  SystemClock system_clock;
  HttplibClient default_http;
  const Clock* clock = nullptr;
  HttpClient* http = nullptr;
  Metrics metrics;
  std::unique_ptr<Store> store;
  ConnectorMap connectors;
  std::unique_ptr<ChatPoster> chat;
  Background background;  // after `chat`: destroyed first, so no job outlives the poster
  RateLimiter limiter;
  std::unique_ptr<DeliveryEngine> engine;
  std::unique_ptr<DeliveryWorker> worker;
  std::unique_ptr<GroupCommitter> committer;
  std::unique_ptr<CommandService> commands;
  std::unique_ptr<SharedRouter> router;
  std::mutex reload_mu;  // one rebuild at a time, so an older route set never replaces a newer one
  std::unique_ptr<SlaScheduler> sla_scheduler;
  WebhookDeps webhook_deps;
  SlackHandlerDeps slack_deps;
  SlackInteractiveDeps slack_interactive_deps;
  MattermostDirectory mattermost_directory;
  MattermostHandlerDeps mattermost_deps;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpServer> metrics_server;
  bool started = false;
  bool stopped = false;

  void DescribeMetrics();
  // Rebuilds the Router from the stored routes and swaps it in; webhooks never wait for it.
  Status ReloadRoutes();
  void RegisterRoutes(HttpServer& s, bool with_metrics);
};

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
App::~App() {
  if (!Shutdown(0)) log::Warn("stopped with deliveries in flight; they are recovered at the next start");
}

int App::port() const { return impl_->server->port(); }
int App::metrics_port() const {
  return impl_->metrics_server ? impl_->metrics_server->port() : impl_->server->port();
}
Store& App::store() { return *impl_->store; }
Metrics& App::metrics() { return impl_->metrics; }
int App::RunSlaCheck() {
  return impl_->sla_scheduler->Tick();
}
bool App::WaitIdle(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (!impl_->worker->WaitIdle(timeout_ms)) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return impl_->background.Drain(static_cast<int>(std::max<std::int64_t>(0, left.count())));
}

namespace {

SlaSettings ToSlaSettings(const SlaConfig& c) {
  SlaSettings s;
  s.first_response_ms = c.first_response_minutes * kMinuteMs;
  s.remind_before_ms = c.remind_before_minutes * kMinuteMs;
  for (const auto& [route, minutes] : c.route_minutes) {
    s.route_first_response_ms[route] = minutes * kMinuteMs;
  }
  return s;
}

}  // namespace

void App::Impl::DescribeMetrics() {
  metrics.Describe("duplex_http_requests_total", "HTTP requests by endpoint and status", "counter");
  metrics.Describe("duplex_webhooks_total", "Webhook deliveries by platform and result", "counter");
  metrics.Describe("duplex_deliveries_total", "Outbound delivery attempts by kind and result", "counter");
  metrics.Describe("duplex_outbox_pending", "Deliveries waiting (pending or sending)", "gauge");
  metrics.Describe("duplex_outbox_oldest_pending_seconds", "Age of the oldest waiting delivery", "gauge");
  metrics.Describe("duplex_outbox_dead", "Dead-lettered deliveries", "gauge");
  metrics.Describe("duplex_outbox_unknown", "Replies whose outcome is unknown", "gauge");
  metrics.Describe("duplex_group_commit_batches_total", "Ingest transactions", "counter");
  metrics.Describe("duplex_group_commit_requests_total", "Webhook requests committed", "counter");
  metrics.Describe("duplex_group_commit_batches_by_size_total",
                   "Ingest transactions by the number of webhook requests they committed",
                   "counter");
  metrics.Describe("duplex_group_commit_max_batch",
                   "Most webhook requests committed in one transaction", "gauge");
  metrics.Describe("duplex_slack_plain_fallbacks_total",
                   "Slack messages sent as plain text because Slack refused their blocks",
                   "counter");
  metrics.Describe("duplex_http_connections_refused_total",
                   "Connections answered 503 (overloaded) or cut off (timeout, too_large)",
                   "counter");
  metrics.OnRender([this](Metrics& m) {
    if (auto s = store->GetOutboxStats(); s.ok()) {
      m.Set("duplex_outbox_pending", {}, static_cast<double>(s->pending));
      m.Set("duplex_outbox_dead", {}, static_cast<double>(s->dead));
      m.Set("duplex_outbox_unknown", {}, static_cast<double>(s->unknown));
      double age = s->oldest_pending_created_at
                       ? static_cast<double>(clock->NowMs() - s->oldest_pending_created_at) / 1000.0
                       : 0.0;
      m.Set("duplex_outbox_oldest_pending_seconds", {}, age);
    }
    if (committer) {
      auto st = committer->Stats();
      m.Set("duplex_group_commit_batches_total", {}, static_cast<double>(st.batches));
      m.Set("duplex_group_commit_requests_total", {}, static_cast<double>(st.requests));
      m.Set("duplex_group_commit_max_batch", {}, static_cast<double>(st.max_batch));
      static const char* const kSizes[] = {"1", "2-3", "4-7", "8-15", "16-31", "32-63", "64+"};
      for (int b = 0; b < 7; ++b) {
        m.Set("duplex_group_commit_batches_by_size_total", {{"size", kSizes[b]}},
              static_cast<double>(st.size_buckets[b]));
      }
    }
  });
}

Status App::Impl::ReloadRoutes() {
  std::lock_guard lock(reload_mu);
  auto routes = store->ListRoutes();
  if (!routes.ok()) return routes.status();
  const std::size_t count = routes->size();
  router->Set(std::make_shared<const Router>(std::move(*routes), config.chat.default_channel));
  log::Info("routes loaded", {{"count", std::to_string(count)}});
  return Status::Ok();
}

void App::Impl::RegisterRoutes(HttpServer& s, bool with_metrics) {
  s.Get("/healthz", [](const InboundRequest&) { return HandleHealthz(); });
  s.Get("/readyz", [this](const InboundRequest&) { return HandleReadyz(*store); });
  if (with_metrics) s.Get("/metrics", [this](const InboundRequest&) { return HandleMetrics(metrics); });
  for (auto& [name, connector] : connectors) {
    const std::string path = "/webhooks/" + name;
    PlatformConnector* c = connector.get();
    auto handler = [this, c](const InboundRequest& r) { return HandleWebhook(*c, r, webhook_deps); };
    s.Get(path, handler);
    s.Post(path, handler);
  }
  if (config.chat.kind == "mattermost") {
    s.PostForm("/chat/mattermost/commands",
               [this](const InboundRequest& r) { return HandleMattermostCommand(r, mattermost_deps); });
  }
  if (config.chat.kind != "mattermost" && !slack_deps.signing_secret.empty()) {
    s.PostForm("/chat/slack/commands",
               [this](const InboundRequest& r) { return HandleSlackCommand(r, slack_deps); });
    s.PostForm("/chat/slack/interactions",
               [this](const InboundRequest& r) { return HandleSlackInteraction(r, slack_interactive_deps); });
    s.Post("/chat/slack/events",
           [this](const InboundRequest& r) { return HandleSlackEvent(r, slack_interactive_deps); });
  }
}

Result<std::unique_ptr<App>> App::Create(const Config& config, AppDeps deps) {
  auto impl = std::make_unique<Impl>();
  Impl& a = *impl;
  a.config = config;
  a.clock = deps.clock ? deps.clock : &a.system_clock;
  a.http = deps.http ? deps.http : &a.default_http;

  std::vector<std::string> errors;
  for (auto it = config.platforms.begin(); it != config.platforms.end(); ++it) {
    const PlatformEntry* entry = FindPlatform(it.key());
    if (entry == nullptr) continue;
    auto connector = entry->factory(it.value(), "platforms." + it.key(), errors, a.http);
    if (connector) a.connectors[it.key()] = std::move(connector);
  }
  if (!errors.empty()) return Status::Invalid(errors.front());

  auto store = storage::OpenStore(config.database, config.synchronous);
  if (!store.ok()) return store.status();
  a.store = std::move(*store);
  a.router = std::make_unique<SharedRouter>(
      std::make_shared<const Router>(std::vector<Route>{}, config.chat.default_channel));
  if (Status s = a.ReloadRoutes(); !s.ok()) return s;

  if (config.chat.kind == "slack") {
    SlackConfig sc;
    sc.api_base = config.chat.api_base;
    sc.bot_token = config.chat.bot_token;
    sc.ca_file = config.chat.ca_file;
    auto slack = std::make_unique<SlackPoster>(sc, *a.http, a.clock, &a.metrics);
    SlackPoster* poster = slack.get();
    a.slack_interactive_deps.open_view = [poster](const std::string& trigger, const nlohmann::json& view) {
      DeliveryOutcome o = poster->OpenView(trigger, view);
      if (o.kind != OutcomeKind::kDone) log::Warn("slack views.open failed", {{"error", o.error}});
      return o.kind == OutcomeKind::kDone;
    };
    // After the click's 200, on the background thread: a slow Slack must not hold the answer.
    Background* background = &a.background;
    a.slack_interactive_deps.tell_user = [poster, background](const std::string& url, const std::string& text) {
      bool queued = background->Post([poster, url, text] {
        DeliveryOutcome o = poster->Respond(url, text);
        if (o.kind != OutcomeKind::kDone) log::Warn("slack response_url post failed", {{"error", o.error}});
      });
      if (!queued) log::Warn("slack response_url post dropped: too many waiting");
    };
    a.slack_interactive_deps.tell_in_channel =
        [poster, background](const std::string& channel, const std::string& user,
                             const std::string& thread_ts, const std::string& text) {
          bool queued = background->Post([poster, channel, user, thread_ts, text] {
            DeliveryOutcome o = poster->PostEphemeral(channel, user, thread_ts, text);
            if (o.kind != OutcomeKind::kDone)
              log::Warn("slack chat.postEphemeral failed", {{"error", o.error}});
          });
          if (!queued) log::Warn("slack ephemeral answer dropped: too many waiting");
        };
    a.chat = std::move(slack);
  } else if (config.chat.kind == "mattermost") {
    MattermostConfig mc;
    mc.api_base = config.chat.api_base;
    mc.bot_token = config.chat.bot_token;
    mc.ca_file = config.chat.ca_file;
    a.chat = std::make_unique<MattermostPoster>(mc, *a.http, a.mattermost_directory);
  } else {
    a.chat = std::make_unique<ConsolePoster>(deps.console ? *deps.console : std::cout);
  }

  a.limiter.SetLimit("chat:", {config.chat.rate_limit.per_second, config.chat.rate_limit.burst});
  a.limiter.SetLimit("", {config.platform_rate_limit.per_second, config.platform_rate_limit.burst});

  DeliveryDeps dd;
  dd.store = a.store.get();
  dd.clock = a.clock;
  dd.chat = a.chat.get();
  dd.connectors = &a.connectors;
  dd.http = a.http;
  dd.limiter = &a.limiter;
  dd.metrics = &a.metrics;
  dd.vip_followers = config.vip_followers;
  const SlaSettings sla = ToSlaSettings(config.sla);
  dd.sla = sla;
  dd.seed = deps.seed;
  dd.default_channel = config.chat.default_channel;
  const std::vector<std::string> config_admins = config.chat.admins;
  Store* store_for_admins = a.store.get();
  dd.admins = [config_admins, store_for_admins] {
    std::vector<std::string> all = config_admins;
    if (auto stored = store_for_admins->ListAdmins(); stored.ok()) {
      for (const auto& admin : *stored) {
        if (std::find(all.begin(), all.end(), admin.user_id) == all.end()) all.push_back(admin.user_id);
      }
    }
    return all;
  };
  a.engine = std::make_unique<DeliveryEngine>(dd);
  a.worker = std::make_unique<DeliveryWorker>(*a.engine, config.delivery_threads);
  DeliveryWorker* worker = a.worker.get();
  a.committer = std::make_unique<GroupCommitter>(
      *a.store, *a.clock, 10'000, [worker] { worker->Wake(); }, config.group_commit ? 0 : 1);

  CommandDeps cd;
  cd.store = a.store.get();
  cd.clock = a.clock;
  cd.dialect = &a.chat->Dialect();
  cd.connectors = &a.connectors;
  cd.wake_delivery = [worker] { worker->Wake(); };
  cd.config_admins = config.chat.admins;
  cd.default_channel = config.chat.default_channel;
  SharedRouter* router = a.router.get();
  cd.router = [router] { return router->Get(); };
  Impl* self = &a;
  cd.reload_routes = [self] { return self->ReloadRoutes(); };
  cd.sla = sla;
  cd.vip_followers = config.vip_followers;
  a.commands = std::make_unique<CommandService>(cd);
  RegisterAdminCommands(*a.commands);

  SlaSchedulerDeps sd;
  sd.store = a.store.get();
  sd.clock = a.clock;
  sd.dialect = &a.chat->Dialect();
  sd.sla = sla;
  sd.wake_delivery = [worker] { worker->Wake(); };
  a.sla_scheduler = std::make_unique<SlaScheduler>(sd);

  a.webhook_deps.committer = a.committer.get();
  a.webhook_deps.metrics = &a.metrics;
  a.webhook_deps.route = [router](Mention m) {
    RouteDecision d = router->Get()->Decide(m);
    return IngestItem{std::move(m), std::move(d.channel), std::move(d.route)};
  };
  Store* report_store = a.store.get();
  const Clock* clock = a.clock;
  const ChatDialect* dialect = &a.chat->Dialect();
  a.webhook_deps.record_reports = [report_store, clock, dialect, worker](
                                      const std::string& platform,
                                      const std::vector<DeliveryReport>& reports) {
    return RecordDeliveryReports(*report_store, *dialect, platform, reports, clock->NowMs(),
                                 [worker] { worker->Wake(); });
  };
  a.slack_deps.signing_secret = config.chat.signing_secret;
  a.slack_deps.team_id = config.chat.team_id;
  a.slack_deps.commands = a.commands.get();
  a.slack_interactive_deps.signing_secret = config.chat.signing_secret;
  a.slack_interactive_deps.team_id = config.chat.team_id;
  a.slack_interactive_deps.commands = a.commands.get();
  a.slack_interactive_deps.store = a.store.get();
  a.slack_interactive_deps.dialect = &a.chat->Dialect();
  a.mattermost_deps.command_tokens = config.chat.command_tokens;
  a.mattermost_deps.team_id = config.chat.team_id;
  a.mattermost_deps.commands = a.commands.get();
  a.mattermost_deps.directory = &a.mattermost_directory;

  HttpServerOptions so;
  so.host = config.listen.host;
  so.port = config.listen.port;
  so.max_body_bytes = config.listen.max_body_bytes;
  so.threads = config.listen.threads;
  so.read_timeout_s = config.listen.read_timeout_s;
  so.write_timeout_s = config.listen.write_timeout_s;
  so.tls_cert = config.listen.tls_cert;
  so.tls_key = config.listen.tls_key;
  so.request_timeout_s = config.listen.request_timeout_s;
  so.max_queued_connections = config.listen.max_queued_connections;
  so.max_connections_per_source = config.listen.max_connections_per_source;
  so.max_headers = config.listen.max_headers;
  so.max_header_bytes = config.listen.max_header_bytes;
  so.rate_limit = {config.listen.rate_limit_per_second, config.listen.rate_limit_burst};
  so.trusted_proxies = config.listen.trusted_proxies;
  a.server = std::make_unique<HttpServer>(so, *a.clock, &a.metrics);
  const bool separate_metrics = config.listen.metrics_port != 0;
  a.RegisterRoutes(*a.server, !separate_metrics);
  if (separate_metrics) {
    HttpServerOptions mo;
    mo.host = config.listen.host;
    mo.port = config.listen.metrics_port;
    mo.threads = 2;
    a.metrics_server = std::make_unique<HttpServer>(mo, *a.clock, nullptr);
    a.metrics_server->Get("/metrics", [self](const InboundRequest&) { return HandleMetrics(self->metrics); });
    a.metrics_server->Get("/healthz", [](const InboundRequest&) { return HandleHealthz(); });
  }
  a.DescribeMetrics();
  return std::unique_ptr<App>(new App(std::move(impl)));
}

Status App::Start() {
  Impl& a = *impl_;
  auto recovered = a.engine->Recover();
  if (!recovered.ok()) return recovered.status();
  if (*recovered > 0) {
    log::Info("recovered deliveries interrupted by the last stop", {{"count", std::to_string(*recovered)}});
  }
  if (Status s = a.server->Start(); !s.ok()) return s;
  if (a.metrics_server) {
    if (Status s = a.metrics_server->Start(); !s.ok()) {
      a.server->Stop();
      return s;
    }
  }
  a.worker->Start();
  a.sla_scheduler->Start(a.config.sla.check_seconds * 1000);
  a.started = true;
  std::string platforms;
  for (const auto& [name, c] : a.connectors) platforms += (platforms.empty() ? "" : ",") + name;
  log::Info("duplex listening", {{"host", a.config.listen.host},
                                 {"port", std::to_string(a.server->port())},
                                 {"tls", a.config.listen.tls_cert.empty() ? "off" : "on"},
                                 {"chat", a.config.chat.kind},
                                 {"platforms", platforms.empty() ? "(none)" : platforms}});
  return Status::Ok();
}

bool App::Shutdown(int deadline_ms) {
  Impl& a = *impl_;
  if (a.stopped) return true;
  a.stopped = true;
  if (a.metrics_server) a.metrics_server->Stop();
  a.server->Stop();      // no new requests; those in progress are answered
  a.committer->Stop();   // everything acknowledged is committed
  a.sla_scheduler->Stop();
  bool clean = a.worker->Stop(deadline_ms);
  if (a.started) log::Info("duplex stopped", {{"clean", clean ? "yes" : "no"}});
  return clean;
}

}  // namespace duplex
