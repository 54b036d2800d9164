// POST/GET /webhooks/<platform>: handshake, verify → parse → route → commit → 200.
// A 2xx is sent only after the mentions and delivery reports are committed; a failed commit
// answers 503 so the platform sends again (and dedup makes that safe). Our own replies
// coming back (IngestOutcome::echo) are acknowledged, logged and counted as result "echo".
#pragma once

#include <functional>

#include "core/metrics.h"
#include "handlers/http_answer.h"
#include "platforms/platform.h"
#include "storage/group_commit.h"

namespace duplex {

struct WebhookDeps {
  GroupCommitter* committer = nullptr;
  // Chooses the channel (and route) for a new mention.
  std::function<IngestItem(Mention)> route;
  // Commits a webhook's delivery reports (see RecordDeliveryReports); required to accept any.
  std::function<Status(const std::string& platform, const std::vector<DeliveryReport>& reports)>
      record_reports;
  Metrics* metrics = nullptr;
};

HttpAnswer HandleWebhook(const PlatformConnector& connector, const InboundRequest& request,
                         WebhookDeps& deps);

}  // namespace duplex
