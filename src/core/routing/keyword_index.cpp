#include "core/routing/keyword_index.h"

#include <algorithm>
#include <utility>

#include "core/routing/text_match.h"

namespace duplex::routing {

KeywordIndex::KeywordIndex(const std::vector<std::string>& keywords) {
  // 1. A plain trie with growable child lists.
  std::vector<std::vector<std::pair<unsigned char, std::uint32_t>>> children(1);
  std::vector<std::vector<std::uint32_t>> ends(1);
  lengths_.reserve(keywords.size());
  for (std::uint32_t id = 0; id < keywords.size(); ++id) {
    const std::string& k = keywords[id];
    lengths_.push_back(static_cast<std::uint32_t>(k.size()));
    if (k.empty()) continue;
    std::uint32_t s = 0;
    for (char ch : k) {
      const auto b = static_cast<unsigned char>(ch);
      auto& kids = children[s];
      auto it = std::find_if(kids.begin(), kids.end(), [b](const auto& e) { return e.first == b; });
      if (it != kids.end()) {
        s = it->second;
        continue;
      }
      const auto next = static_cast<std::uint32_t>(children.size());
      kids.emplace_back(b, next);
      children.emplace_back();
      ends.emplace_back();
      s = next;
    }
    ends[s].push_back(id);
  }

  // 2. Flatten into sorted edge arrays.
  const std::size_t n = children.size();
  edge_begin_.resize(n + 1);
  out_begin_.resize(n + 1);
  for (std::size_t s = 0; s < n; ++s) {
    std::sort(children[s].begin(), children[s].end());
    edge_begin_[s] = static_cast<std::uint32_t>(edge_label_.size());
    for (const auto& [label, target] : children[s]) {
      edge_label_.push_back(label);
      edge_target_.push_back(target);
    }
    out_begin_[s] = static_cast<std::uint32_t>(out_ids_.size());
    out_ids_.insert(out_ids_.end(), ends[s].begin(), ends[s].end());
  }
  edge_begin_[n] = static_cast<std::uint32_t>(edge_label_.size());
  out_begin_[n] = static_cast<std::uint32_t>(out_ids_.size());

  // 3. Failure and output links, breadth first.
  std::fill(std::begin(root_next_), std::end(root_next_), 0);
  fail_.assign(n, 0);
  output_.assign(n, kNone);
  std::vector<std::uint32_t> queue;
  queue.reserve(n);
  for (std::uint32_t e = edge_begin_[0]; e < edge_begin_[1]; ++e) {
    root_next_[edge_label_[e]] = edge_target_[e];
    queue.push_back(edge_target_[e]);
  }
  auto has_output = [this](std::uint32_t s) { return out_begin_[s] != out_begin_[s + 1]; };
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const std::uint32_t s = queue[head];
    output_[s] = has_output(s) ? s : output_[fail_[s]];
    for (std::uint32_t e = edge_begin_[s]; e < edge_begin_[s + 1]; ++e) {
      const std::uint32_t child = edge_target_[e];
      fail_[child] = Next(fail_[s], edge_label_[e]);
      queue.push_back(child);
    }
  }
}

std::uint32_t KeywordIndex::Next(std::uint32_t state, unsigned char byte) const {
  while (state != 0) {
    const auto* begin = edge_label_.data() + edge_begin_[state];
    const auto* end = edge_label_.data() + edge_begin_[state + 1];
    const auto* it =
        (end - begin) <= 8 ? std::find(begin, end, byte) : std::lower_bound(begin, end, byte);
    if (it != end && *it == byte)
      return edge_target_[static_cast<std::size_t>(it - edge_label_.data())];
    state = fail_[state];
  }
  return root_next_[byte];
}

void KeywordIndex::Find(std::string_view folded, std::vector<std::uint32_t>& out) const {
  out.clear();
  std::uint32_t state = 0;
  for (std::size_t i = 0; i < folded.size(); ++i) {
    state = Next(state, static_cast<unsigned char>(folded[i]));
    for (std::uint32_t s = output_[state]; s != kNone; s = output_[fail_[s]]) {
      for (std::uint32_t k = out_begin_[s]; k < out_begin_[s + 1]; ++k) {
        const std::uint32_t id = out_ids_[k];
        const std::size_t len = lengths_[id];
        if (OnWordBoundaries(folded, i + 1 - len, len)) out.push_back(id);
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace duplex::routing
