#include "app/app.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <mutex>

#include "app/background.h"
#include "app/chats.h"
#include "app/http_server.h"
#include "app/httplib_client.h"
#include "app/periodic.h"
#include "commands/admin_commands.h"
#include "commands/command_service.h"
#include "commands/delivery_reports.h"
#include "core/log.h"
#include "core/routing/router.h"
#include "delivery/delivery_engine.h"
#include "delivery/sla_scheduler.h"
#include "delivery/worker.h"
#include "handlers/ops_handler.h"
#include "handlers/webhook_handler.h"
#include "platforms/registry.h"
#include "storage/group_commit.h"
#include "storage/open_store.h"

namespace duplex {
namespace {

// How soon a route changed through one instance is used by the others (PostgreSQL).
constexpr int kRouteRefreshMs = 2'000;

}  // namespace

struct App::Impl {
  Config config;
  SystemClock system_clock;
  HttplibClient default_http;
  const Clock* clock = nullptr;
  HttpClient* http = nullptr;
  Metrics metrics;
  std::unique_ptr<Store> store;
  ConnectorMap connectors;
  SlaSettings sla;
  std::unique_ptr<Chat> chat;
  Background background;  // after `chat`: destroyed first, so no job outlives the poster
  std::unique_ptr<RateLimiter> limiter;  // pacing state in the store: shared on PostgreSQL
  std::unique_ptr<DeliveryEngine> engine;
  std::unique_ptr<DeliveryWorker> worker;
  // Wakes the worker when another instance commits a delivery (PostgreSQL); after `worker`,
  // so it is destroyed before the worker it wakes.
  std::unique_ptr<OutboxWatch> outbox_watch;
  std::unique_ptr<GroupCommitter> committer;
  std::unique_ptr<CommandService> commands;
  std::unique_ptr<SharedRouter> router;
  std::mutex reload_mu;  // one rebuild at a time, so an older route set never replaces a newer one
  std::vector<Route> loaded_routes;  // what the router was last built from (under reload_mu)
  // On a shared database, routes another instance's admin command changed: looked for every
  // kRouteRefreshMs (the command reloads its own instance's at once).
  std::unique_ptr<Periodic> route_refresh;
  std::unique_ptr<Lease> sla_lease;  // one SLA scheduler among the instances
  std::unique_ptr<SlaScheduler> sla_scheduler;
  WebhookDeps webhook_deps;
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpServer> metrics_server;
  bool started = false;
  bool stopped = false;

  void DescribeMetrics();
  // Rebuilds the Router from the stored routes and swaps it in; webhooks never wait for it.
  // `only_if_changed`: nothing happens (and nothing is logged) while the stored routes are
  // the ones it was last built from.
  Status ReloadRoutes(bool only_if_changed = false);
  void RegisterRoutes(HttpServer& s, bool with_metrics);
  // The builders App::Create runs in order, each on what the ones before it made.
  void BuildDelivery(std::uint64_t seed);
  void BuildCommands();
  void BuildWebhooks();
  void BuildServers();
};

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
App::~App() {
  if (!Shutdown(0))
    log::Warn("stopped with deliveries in flight; they are recovered at the next start");
}

int App::port() const {
  return impl_->server->port();
}
int App::metrics_port() const {
  return impl_->metrics_server ? impl_->metrics_server->port() : impl_->server->port();
}
Store& App::store() {
  return *impl_->store;
}
Metrics& App::metrics() {
  return impl_->metrics;
}
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
  metrics.Describe("duplex_deliveries_total", "Outbound delivery attempts by kind and result",
                   "counter");
  metrics.Describe("duplex_outbox_pending", "Deliveries waiting (pending or sending)", "gauge");
  metrics.Describe("duplex_outbox_oldest_pending_seconds", "Age of the oldest waiting delivery",
                   "gauge");
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
  metrics.Describe("duplex_outbox_notifications_total",
                   "Wake-ups of the delivery worker by deliveries any instance committed "
                   "(PostgreSQL LISTEN), reconnections included",
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

Status App::Impl::ReloadRoutes(bool only_if_changed) {
  std::lock_guard lock(reload_mu);
  auto routes = store->ListRoutes();
  if (!routes.ok()) return routes.status();
  if (only_if_changed && *routes == loaded_routes) return Status::Ok();
  loaded_routes = *routes;
  const std::size_t count = routes->size();
  router->Set(std::make_shared<const Router>(std::move(*routes), config.chat.default_channel));
  log::Info(only_if_changed ? "routes changed in the database; reloaded" : "routes loaded",
            {{"count", count}});
  return Status::Ok();
}

void App::Impl::RegisterRoutes(HttpServer& s, bool with_metrics) {
  s.Get("/healthz", [](const InboundRequest&) { return HandleHealthz(); });
  s.Get("/readyz", [this](const InboundRequest&) { return HandleReadyz(*store); });
  if (with_metrics)
    s.Get("/metrics", [this](const InboundRequest&) { return HandleMetrics(metrics); });
  for (auto& [name, connector] : connectors) {
    const std::string path = "/webhooks/" + name;
    PlatformConnector* c = connector.get();
    auto handler = [this, c](const InboundRequest& r) {
      return HandleWebhook(*c, r, webhook_deps);
    };
    s.Get(path, handler);
    s.Post(path, handler);
  }
  chat->AddRoutes(s, *commands, {store.get(), commands.get(), &chat->poster().Dialect()});
}

namespace {

// Requests the group committer holds before it answers 503 (a burst beyond what one
// transaction a few milliseconds long can drain).
constexpr std::size_t kMaxQueuedCommits = 10'000;

Result<ConnectorMap> BuildConnectors(const Config& config, HttpClient* http) {
  ConnectorMap connectors;
  std::vector<std::string> errors;
  for (auto it = config.platforms.begin(); it != config.platforms.end(); ++it) {
    const PlatformEntry* entry = FindPlatform(it.key());
    if (entry == nullptr) continue;
    auto connector = entry->factory(it.value(), "platforms." + it.key(), errors, http);
    if (connector) connectors[it.key()] = std::move(connector);
  }
  if (!errors.empty()) return Status::Invalid(errors.front());
  return connectors;
}

HttpServerOptions ServerOptions(const ListenConfig& listen) {
  HttpServerOptions so;
  so.host = listen.host;
  so.port = listen.port;
  so.max_body_bytes = listen.max_body_bytes;
  so.threads = listen.threads;
  so.read_timeout_s = listen.read_timeout_s;
  so.write_timeout_s = listen.write_timeout_s;
  so.tls_cert = listen.tls_cert;
  so.tls_key = listen.tls_key;
  so.request_timeout_s = listen.request_timeout_s;
  so.max_queued_connections = listen.max_queued_connections;
  so.max_connections_per_source = listen.max_connections_per_source;
  so.max_headers = listen.max_headers;
  so.max_header_bytes = listen.max_header_bytes;
  so.rate_limit = {listen.rate_limit_per_second, listen.rate_limit_burst};
  so.trusted_proxies = listen.trusted_proxies;
  return so;
}

// The separate /metrics listener: two threads are plenty for a scraper.
HttpServerOptions MetricsServerOptions(const ListenConfig& listen) {
  HttpServerOptions mo;
  mo.host = listen.host;
  mo.port = listen.metrics_port;
  mo.threads = 2;
  return mo;
}

}  // namespace

void App::Impl::BuildDelivery(std::uint64_t seed) {
  limiter = std::make_unique<RateLimiter>(*store);
  limiter->SetLimit("chat:", {config.chat.rate_limit.per_second, config.chat.rate_limit.burst});
  limiter->SetLimit("", {config.platform_rate_limit.per_second, config.platform_rate_limit.burst});
  DeliveryDeps dd;
  dd.store = store.get();
  dd.clock = clock;
  dd.chat = &chat->poster();
  dd.connectors = &connectors;
  dd.http = http;
  dd.limiter = limiter.get();
  dd.metrics = &metrics;
  dd.vip_followers = config.vip_followers;
  dd.sla = sla;
  dd.seed = seed;
  dd.lease_ms = static_cast<UnixMs>(config.delivery_lease_seconds) * 1000;
  dd.default_channel = config.chat.default_channel;
  const std::vector<std::string> config_admins = config.chat.admins;
  Store* admins_store = store.get();
  // Without the database, the config's admins still hear about dead deliveries.
  dd.admins = [config_admins, admins_store] {
    auto all = AllAdmins(*admins_store, config_admins);
    return all.ok() ? std::move(*all) : config_admins;
  };
  engine = std::make_unique<DeliveryEngine>(dd);
  worker = std::make_unique<DeliveryWorker>(*engine, config.delivery_threads);
  DeliveryWorker* w = worker.get();
  committer = std::make_unique<GroupCommitter>(
      *store, *clock, kMaxQueuedCommits, [w] { w->Wake(); }, config.group_commit ? 0 : 1);
}

void App::Impl::BuildCommands() {
  DeliveryWorker* w = worker.get();
  CommandDeps cd;
  cd.store = store.get();
  cd.clock = clock;
  cd.dialect = &chat->poster().Dialect();
  cd.connectors = &connectors;
  cd.wake_delivery = [w] { w->Wake(); };
  cd.config_admins = config.chat.admins;
  cd.default_channel = config.chat.default_channel;
  SharedRouter* r = router.get();
  cd.router = [r] { return r->Get(); };
  cd.reload_routes = [this] { return ReloadRoutes(); };
  cd.sla = sla;
  cd.vip_followers = config.vip_followers;
  commands = std::make_unique<CommandService>(cd);
  RegisterAdminCommands(*commands);

  // Renewed at every pass; a few passes long, so one slow pass does not hand it over.
  const UnixMs check_ms = config.sla.check_seconds * 1000LL;
  sla_lease = std::make_unique<Lease>(*store, "sla-scheduler", engine->owner(),
                                      std::max<UnixMs>(3 * check_ms, 30'000));
  SlaSchedulerDeps sd;
  sd.store = store.get();
  sd.lease = sla_lease.get();
  sd.clock = clock;
  sd.dialect = &chat->poster().Dialect();
  sd.sla = sla;
  sd.wake_delivery = [w] { w->Wake(); };
  sla_scheduler = std::make_unique<SlaScheduler>(sd);
}

void App::Impl::BuildWebhooks() {
  DeliveryWorker* w = worker.get();
  SharedRouter* r = router.get();
  webhook_deps.committer = committer.get();
  webhook_deps.metrics = &metrics;
  webhook_deps.route = [r](Mention m) {
    RouteDecision d = r->Get()->Decide(m);
    return IngestItem{std::move(m), std::move(d.channel), std::move(d.route)};
  };
  Store* report_store = store.get();
  const Clock* report_clock = clock;
  const ChatDialect* dialect = &chat->poster().Dialect();
  webhook_deps.record_reports = [report_store, report_clock, dialect, w](
                                    const std::string& platform,
                                    const std::vector<DeliveryReport>& reports) {
    return RecordDeliveryReports(*report_store, *dialect, platform, reports, report_clock->NowMs(),
                                 [w] { w->Wake(); });
  };
}

void App::Impl::BuildServers() {
  server = std::make_unique<HttpServer>(ServerOptions(config.listen), *clock, &metrics);
  const bool separate_metrics = config.listen.metrics_port != 0;
  RegisterRoutes(*server, !separate_metrics);
  if (separate_metrics) {
    metrics_server =
        std::make_unique<HttpServer>(MetricsServerOptions(config.listen), *clock, nullptr);
    metrics_server->Get("/metrics",
                        [this](const InboundRequest&) { return HandleMetrics(metrics); });
    metrics_server->Get("/healthz", [](const InboundRequest&) { return HandleHealthz(); });
  }
}

Result<std::unique_ptr<App>> App::Create(const Config& config, AppDeps deps) {
  auto impl = std::make_unique<Impl>();
  Impl& a = *impl;
  a.config = config;
  a.sla = ToSlaSettings(config.sla);
  a.clock = deps.clock ? deps.clock : &a.system_clock;
  a.http = deps.http ? deps.http : &a.default_http;

  auto connectors = BuildConnectors(config, a.http);
  if (!connectors.ok()) return connectors.status();
  a.connectors = std::move(*connectors);
  auto store = storage::OpenStore(config.database, config.synchronous);
  if (!store.ok()) return store.status();
  a.store = std::move(*store);
  a.router = std::make_unique<SharedRouter>(
      std::make_shared<const Router>(std::vector<Route>{}, config.chat.default_channel));
  if (Status s = a.ReloadRoutes(); !s.ok()) return s;
  auto chat = MakeChat({a.config.chat, *a.http, *a.clock, a.metrics, a.background,
                        deps.console ? *deps.console : std::cout});
  if (!chat.ok()) return chat.status();
  a.chat = std::move(*chat);

  a.BuildDelivery(deps.seed);
  if (storage::IsPostgresUrl(config.database)) {
    // Instances share this database: connectors keep their run-time credentials there, and
    // a route an admin changes through one instance reaches the others.
    for (auto& [name, connector] : a.connectors) {
      connector->ShareAcrossInstances(*a.store, a.engine->owner());
    }
    a.route_refresh = std::make_unique<Periodic>([&a] {
      if (Status s = a.ReloadRoutes(/*only_if_changed=*/true); !s.ok()) {
        log::Warn("could not look for changed routes", {{"error", s.message()}});
      }
    });
  }
  a.BuildCommands();
  a.BuildWebhooks();
  a.BuildServers();
  a.DescribeMetrics();
  return std::unique_ptr<App>(new App(std::move(impl)));
}

Status App::Start() {
  Impl& a = *impl_;
  auto recovered = a.engine->Recover();
  if (!recovered.ok()) return recovered.status();
  if (*recovered > 0) {
    log::Info("recovered deliveries interrupted by the last stop", {{"count", *recovered}});
  }
  if (Status s = a.server->Start(); !s.ok()) return s;
  if (a.metrics_server) {
    if (Status s = a.metrics_server->Start(); !s.ok()) {
      a.server->Stop();
      return s;
    }
  }
  if (a.config.delivery_enabled) {
    a.worker->Start();
    DeliveryWorker* w = a.worker.get();
    Metrics* m = &a.metrics;
    a.outbox_watch = a.store->WatchOutbox([w, m] {
      m->Inc("duplex_outbox_notifications_total");
      w->Wake();
    });
  } else {
    log::Info("delivery disabled on this instance: the others sharing the database send");
  }
  a.sla_scheduler->Start(a.config.sla.check_seconds * 1000);
  if (a.route_refresh) a.route_refresh->Start(kRouteRefreshMs);
  a.started = true;
  std::string platforms;
  for (const auto& [name, c] : a.connectors) platforms += (platforms.empty() ? "" : ",") + name;
  log::Info("duplex listening", {{"host", a.config.listen.host},
                                 {"port", a.server->port()},
                                 {"tls", a.config.listen.tls_cert.empty() ? "off" : "on"},
                                 {"chat", a.config.chat.kind},
                                 {"platforms", platforms.empty() ? "(none)" : platforms},
                                 {"instance", a.engine->owner()}});
  return Status::Ok();
}

bool App::Shutdown(int deadline_ms) {
  Impl& a = *impl_;
  if (a.stopped) return true;
  a.stopped = true;
  if (a.metrics_server) a.metrics_server->Stop();
  a.server->Stop();     // no new requests; those in progress are answered
  a.committer->Stop();  // everything acknowledged is committed
  a.sla_scheduler->Stop();
  if (a.route_refresh) a.route_refresh->Stop();
  a.outbox_watch.reset();
  bool clean = a.worker->Stop(deadline_ms);
  if (a.started) log::Info("duplex stopped", {{"clean", clean}});
  return clean;
}

}  // namespace duplex
