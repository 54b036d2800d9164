// KeywordIndex: an Aho–Corasick automaton over many keywords, so that one pass over a
// mention's text finds every keyword that occurs in it, however many keywords there are.
// Guarantees: built once and immutable, so concurrent Find calls are safe; Find reports
// exactly the keywords for which ContainsKeyword(folded, keyword) is true (same boundary
// rules, see text_match.h), each id once, in time linear in the text plus the matches.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace duplex::routing {

class KeywordIndex {
 public:
  KeywordIndex() : KeywordIndex(std::vector<std::string>{}) {}
  // `keywords` are normalized (NormalizeKeyword); an id is the keyword's position here.
  // Empty keywords never match.
  explicit KeywordIndex(const std::vector<std::string>& keywords);

  // Ids of the keywords found in `folded` (a FoldForMatch result), ascending, without
  // duplicates. `out` is cleared first.
  void Find(std::string_view folded, std::vector<std::uint32_t>& out) const;

  std::size_t keyword_count() const { return lengths_.size(); }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  std::uint32_t Next(std::uint32_t state, unsigned char byte) const;

  // Per state: edges [edge_begin_[s], edge_begin_[s + 1]) sorted by label.
  std::vector<std::uint32_t> edge_begin_;
  std::vector<unsigned char> edge_label_;
  std::vector<std::uint32_t> edge_target_;
  std::uint32_t root_next_[256];  // the root's transitions, complete (missing edges → root)
  std::vector<std::uint32_t> fail_;
  // The nearest state on the failure chain (itself included) where a keyword ends.
  std::vector<std::uint32_t> output_;
  // Keyword ids ending in each state: [out_begin_[s], out_begin_[s + 1]).
  std::vector<std::uint32_t> out_begin_;
  std::vector<std::uint32_t> out_ids_;
  std::vector<std::uint32_t> lengths_;
};

}  // namespace duplex::routing
