#include "handlers/ops_handler.h"

namespace duplex {

HttpAnswer HandleHealthz() {
  return {200, "application/json", "{\"status\":\"ok\"}", {}};
}

HttpAnswer HandleReadyz(Store& store) {
  if (Status s = store.Ping(); !s.ok()) {
    return {
        503, "application/json", "{\"status\":\"unavailable\",\"database\":\"unavailable\"}", {}};
  }
  return {200, "application/json", "{\"status\":\"ready\",\"database\":\"ok\"}", {}};
}

HttpAnswer HandleMetrics(Metrics& metrics) {
  return {200, "text/plain; version=0.0.4", metrics.RenderPrometheus(), {}};
}

}  // namespace duplex
