#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace duplex {

std::optional<std::int64_t> Percentile(std::vector<std::int64_t> values, double q) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  auto rank = static_cast<std::size_t>(std::ceil(q * n - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

namespace {

std::vector<VolumeCount> Sorted(const std::map<std::string, VolumeCount>& counts) {
  std::vector<VolumeCount> out;
  for (const auto& [key, c] : counts) out.push_back(c);
  std::stable_sort(out.begin(), out.end(), [](const VolumeCount& a, const VolumeCount& b) {
    return a.messages > b.messages;
  });
  return out;
}

}  // namespace

StatsReport ComputeStats(const std::vector<StatsRow>& rows, UnixMs since, UnixMs now,
                         const SlaSettings& sla, std::size_t top_authors) {
  StatsReport r;
  std::map<std::string, VolumeCount> platforms;
  std::map<std::string, VolumeCount> routes;
  std::map<std::pair<std::string, std::string>, AuthorReach> authors;
  std::vector<std::int64_t> response_times;
  auto count = [](std::map<std::string, VolumeCount>& m, const std::string& key,
                  const StatsRow& row) {
    VolumeCount& c = m[key];
    c.key = key;
    c.messages += row.messages_in_window;
    c.conversations += 1;
  };
  for (const StatsRow& row : rows) {
    r.messages += row.messages_in_window;
    count(platforms, row.platform, row);
    count(routes, row.route, row);
    if (row.author.followers) {
      const std::string who = row.author.id.empty() ? row.author.handle : row.author.id;
      AuthorReach& a = authors[{row.platform, who}];
      if (a.conversations == 0 || *row.author.followers > a.author.followers.value_or(0)) {
        a.platform = row.platform;
        a.author = row.author;
      }
      a.conversations += 1;
    }
    if (row.created_at < since) continue;
    ++r.new_conversations;
    const std::int64_t target = sla.FirstResponseMs(row.route);
    if (row.first_response_at) {
      const std::int64_t took = *row.first_response_at - row.created_at;
      ++r.answered;
      response_times.push_back(took);
      ++(took <= target ? r.sla_met : r.sla_missed);
    } else if (row.closed) {
      ++r.closed_unanswered;
    } else if (now > row.created_at + target) {
      ++r.sla_missed;
    } else {
      ++r.sla_pending;
    }
  }
  r.by_platform = Sorted(platforms);
  r.by_route = Sorted(routes);
  r.p50_ms = Percentile(response_times, 0.5);
  r.p90_ms = Percentile(response_times, 0.9);
  for (auto& [key, a] : authors) r.top_authors.push_back(a);
  std::stable_sort(r.top_authors.begin(), r.top_authors.end(),
                   [](const AuthorReach& a, const AuthorReach& b) {
                     return a.author.followers.value_or(0) > b.author.followers.value_or(0);
                   });
  if (r.top_authors.size() > top_authors) r.top_authors.resize(top_authors);
  return r;
}

}  // namespace duplex
