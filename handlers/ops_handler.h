// Operator endpoints: /healthz (the process answers), /readyz (the database answers),
// /metrics (Prometheus text).
#pragma once

#include "core/metrics.h"
#include "handlers/http_answer.h"
#include "storage/store.h"

namespace duplex {

HttpAnswer HandleHealthz();
HttpAnswer HandleReadyz(Store& store);
HttpAnswer HandleMetrics(Metrics& metrics);

}  // namespace duplex
