#pragma once
// Learned template merges: an order-independent look at the SET of distinct templates.
// A token position that takes many distinct values among templates that are otherwise
// identical is a variable; those templates merge into one with <*> there. The result depends
// only on the set (never on arrival order) and is returned as data ("A merged into B"), so a
// caller can store it and never silently move an id a user has already seen.

#include <cstddef>
#include <string>
#include <vector>

namespace selfheal::fingerprint {

struct MergeOptions {
  /// Distinct values at one position needed to call it variable. Cross-checked on two halves
  /// of the public logs: one half preferred 4, the other 6; 5 is the compromise.
  std::size_t min_distinct = 5;
  /// Word tokens (with a letter, not <*>) the rest of the template must keep.
  std::size_t min_literal_context = 1;
  /// Positions whose values are all ALL-CAPS words (states, keywords) stay literal.
  bool keep_enum_positions = true;
  std::size_t max_rounds = 4;    ///< fixed-point iterations (each may open a new position)
};

struct TemplateMerge {
  std::string from;  ///< a template as produced by Engine::compute
  std::string into;  ///< the merged template it belongs to
};

/// Pure. Sorted by `from`; templates that do not merge are absent.
std::vector<TemplateMerge> learn_merges(const std::vector<std::string>& templates,
                                        const MergeOptions& opts = {});

}  // namespace selfheal::fingerprint
