// Metrics: counters and gauges with labels, rendered in Prometheus text format.
// Thread-safe. Label values come from small fixed sets (endpoint names, platforms, results),
// never from request data, so neither cardinality nor secrets can leak in.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace duplex {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Declares a metric's help text and type ("counter" or "gauge"); optional but nicer.
  void Describe(const std::string& name, const std::string& help, const std::string& type);
  void Inc(const std::string& name, const Labels& labels = {}, double by = 1);
  void Set(const std::string& name, const Labels& labels, double value);
  // Called at render time to refresh gauges (outbox size...).
  void OnRender(std::function<void(Metrics&)> refresh);

  double Get(const std::string& name, const Labels& labels = {}) const;
  std::string RenderPrometheus();

 private:
  struct Family {
    std::string help;
    std::string type = "counter";
    std::map<Labels, double> series;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(Metrics&)>> refreshers_;
};

}  // namespace duplex
