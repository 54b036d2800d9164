#include "core/metrics.h"

#include <cmath>
#include <sstream>

namespace duplex {
namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

void Metrics::Describe(const std::string& name, const std::string& help, const std::string& type) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.help = help;
  f.type = type;
}

void Metrics::Inc(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  families_[name].series[labels] += by;
}

void Metrics::Set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  families_[name].series[labels] = value;
}

void Metrics::OnRender(std::function<void(Metrics&)> refresh) {
  std::lock_guard lock(mu_);
  refreshers_.push_back(std::move(refresh));
}

double Metrics::Get(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto s = f->second.series.find(labels);
  return s == f->second.series.end() ? 0 : s->second;
}

std::string Metrics::RenderPrometheus() {
  std::vector<std::function<void(Metrics&)>> refreshers;
  {
    std::lock_guard lock(mu_);
    refreshers = refreshers_;
  }
  for (auto& r : refreshers) r(*this);
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out << "# HELP " << name << " " << f.help << "\n";
    out << "# TYPE " << name << " " << f.type << "\n";
    for (const auto& [labels, value] : f.series) {
      out << name;
      if (!labels.empty()) {
        out << "{";
        for (std::size_t i = 0; i < labels.size(); ++i) {
          if (i) out << ",";
          out << labels[i].first << "=\"" << EscapeLabel(labels[i].second) << "\"";
        }
        out << "}";
      }
      out << " " << FormatValue(value) << "\n";
    }
  }
  return out.str();
}

}  // namespace duplex
