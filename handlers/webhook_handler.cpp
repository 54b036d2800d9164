#include "handlers/webhook_handler.h"

#include "core/log.h"

namespace duplex {
namespace {

void Count(WebhookDeps& deps, const std::string& platform, const std::string& result,
           double n = 1) {
  if (deps.metrics && n > 0) {
    deps.metrics->Inc("duplex_webhooks_total", {{"platform", platform}, {"result", result}}, n);
  }
}

}  // namespace

HttpAnswer HandleWebhook(const PlatformConnector& connector, const InboundRequest& request,
                         WebhookDeps& deps) {
  const std::string platform = connector.Name();
  if (request.method == "GET") {
    auto answer = connector.Handshake(request);
    if (!answer.ok()) {
      Count(deps, platform, "handshake_failed");
      return AnswerFor(answer.status());
    }
    Count(deps, platform, "handshake");
    return {answer->status, answer->content_type, answer->body, {}};
  }
  if (Status s = connector.Verify(request); !s.ok()) {
    Count(deps, platform, "unauthorized");
    log::Warn("webhook refused", {{"platform", platform}, {"reason", s.message()}});
    return AnswerFor(s);
  }
  auto parsed = connector.Parse(request);
  if (!parsed.ok()) {
    Count(deps, platform, "invalid");
    log::Warn("webhook body rejected",
              {{"platform", platform}, {"reason", parsed.status().message()}});
    return AnswerFor(parsed.status());
  }
  if (!parsed->delivery_reports.empty()) {
    Status s = deps.record_reports ? deps.record_reports(platform, parsed->delivery_reports)
                                   : Status::Unavailable("delivery reports are not accepted here");
    if (!s.ok()) {
      Count(deps, platform, "unavailable");
      return AnswerFor(s);
    }
    Count(deps, platform, "delivery_report", static_cast<double>(parsed->delivery_reports.size()));
  }
  if (parsed->mentions.empty()) {
    Count(deps, platform, "ignored");
    if (parsed->response)
      return {parsed->response->status, parsed->response->content_type, parsed->response->body, {}};
    return {200, "application/json", "{\"ok\":true,\"accepted\":0,\"duplicates\":0}", {}};
  }
  std::vector<IngestItem> items;
  items.reserve(parsed->mentions.size());
  for (auto& m : parsed->mentions) items.push_back(deps.route(std::move(m)));
  auto outcomes = deps.committer->Ingest(std::move(items));
  if (!outcomes.ok()) {
    Count(deps, platform, "unavailable");
    return AnswerFor(outcomes.status());
  }
  int accepted = 0, duplicates = 0, echoes = 0;
  for (const auto& o : *outcomes) (o.echo ? echoes : o.duplicate ? duplicates : accepted)++;
  Count(deps, platform, "accepted", accepted);
  Count(deps, platform, "duplicate", duplicates);
  Count(deps, platform, "echo", echoes);
  if (echoes > 0) {
    log::Info("echo of our own reply dropped",
              {{"platform", platform}, {"count", std::to_string(echoes)}});
  }
  if (parsed->response)
    return {parsed->response->status, parsed->response->content_type, parsed->response->body, {}};
  return {200,
          "application/json",
          "{\"ok\":true,\"accepted\":" + std::to_string(accepted) +
              ",\"duplicates\":" + std::to_string(duplicates) +
              (echoes > 0 ? ",\"echoes\":" + std::to_string(echoes) : "") + "}",
          {}};
}

}  // namespace duplex
