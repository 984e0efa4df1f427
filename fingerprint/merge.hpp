#pragma once
// Learned template merges: an order-independent look at the SET of distinct templates of one
// service. Two statistics find the variables the per-line scanner cannot see (words without
// digits: user, host, table and task names; error texts of several words):
//  1. Positions (templates of one length): within templates that share their most common
//     equal-frequency words (the "pattern", after Brain), a position outside the pattern that
//     takes many distinct values is a variable; one that takes few is a different statement.
//     Positions that determine each other with different words are a phrase, not a variable.
//  2. Gaps (templates of any length): templates that share a prefix of message words ending in
//     a value cue (`label: `, `=`, an opening quote or bracket) and a suffix, and differ in
//     between, hold a value of several words there.
// Around them, instances: a template that is another with one `<*>` left out (an empty value) or
// with words where the other holds `<*>` merges into it; and last, words some round absorbed into
// a variable are values anywhere (a position holding only such words is a variable).
// The result depends only on the set (never on arrival order or counts) and is returned as data
// ("A merged into B"), so a caller can store it and never silently move an id a user has seen.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::fingerprint {

/// Every threshold below was chosen by leave-one-dataset-out over the 16 public labelled logs
/// (see fingerprint/README.md and scripts/grouping-eval.sh), never for one log.
struct MergeOptions {
  /// Distinct values that make a position variable whatever its context.
  std::size_t min_distinct = 5;
  /// Distinct values that make a position variable when the pattern holds at least
  /// `min_context_words` words (3 users behind "session opened for user").
  std::size_t min_distinct_in_context = 3;
  std::size_t min_context_words = 2;
  /// Positions whose values are all ALL-CAPS words (states, protocols, keywords) stay literal.
  bool keep_enum_positions = true;
  /// A position where the scanner already found a value in one member (`<*>`) and a word in
  /// another is one variable, whatever the number of values ("of <*> to" / "of controller to").
  bool wildcard_evidence = true;
  /// A template equal to another minus one `<*>` printed an empty value there ("for user ,"
  /// / "for user <*>,"): it merges into the other.
  bool learn_empty = true;
  /// Words that some variable absorbed (in any statement) are values: after the other rounds, a
  /// position whose words are all such values is a variable however few they are ("denied to
  /// alpha" / "denied to beta" when alpha and beta were values elsewhere).
  bool learn_known_values = true;
  /// Positions that determine each other one-to-one with different words are a phrase ("client
  /// closed connection" / "upstream timed out"): adjacent ones always, others from this many
  /// distinct values on (0 = adjacent only).
  std::size_t phrase_min_distinct = 3;
  /// ...and up to this many: no program has more statements of one pattern, so more one-to-one
  /// pairs are fresh values in several positions (sanity bound; no public log comes near it).
  std::size_t phrase_max_distinct = 64;
  /// Gaps: learn values of several words at all.
  bool learn_gaps = true;
  /// Gaps: distinct middles (with a word or a variable) needed, and message words
  /// (whitespace-separated chunks with a letter) the prefix must hold. Leave-one-dataset-out
  /// picked 1 for 15 of the 16 public logs.
  std::size_t gap_min_distinct = 2;
  std::size_t gap_min_prefix_words = 1;
  /// Gaps: distinct middles that must also follow another prefix (a value shared by several
  /// statements, or a middle that is already a variable). 0 = off.
  std::size_t gap_min_shared = 1;
};

struct TemplateMerge {
  std::string from;  ///< a template as produced by Engine::compute
  std::string into;  ///< the merged template it belongs to
};

/// Sets one option by name (the field names above; booleans as 0/1). False for an unknown name.
/// Used by `selfheal fingerprint --learn-option` and the leave-one-dataset-out evaluation.
bool set_merge_option(MergeOptions& opts, std::string_view name, std::size_t value);

/// True when every text of template `specific` also fits `general` (`<*>` of general stands for
/// one or more tokens). Used to re-point an earlier learned merge only to a template that covers it.
bool template_covers(std::string_view general, std::string_view specific);

/// Pure. Sorted by `from`; templates that do not merge are absent.
std::vector<TemplateMerge> learn_merges(const std::vector<std::string>& templates,
                                        const MergeOptions& opts = {});
/// The same over views (no copy of the templates; they must outlive the call).
std::vector<TemplateMerge> learn_merges(std::span<const std::string_view> templates,
                                        const MergeOptions& opts = {});

}  // namespace selfheal::fingerprint
