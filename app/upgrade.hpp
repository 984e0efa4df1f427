#pragma once
// Fingerprint ids across an algorithm upgrade. A better grouping algorithm makes new ids for old
// errors; a store written by an older version keeps its users' work: on start, before any event is
// read, every row an older algorithm made is recomputed from its earliest kept sample, and the new
// id is merged into the old one (actor "upgrade", audited), so future events of that error keep
// counting on the fingerprint people have resolved, ignored, merged, matched rules against and
// discussed. When the new algorithm puts two old fingerprints together, the smaller is merged into
// the larger (unless a person merged it elsewhere). Old groups are never split or regrouped behind a
// user's back; new errors get the new grouping. Idempotent: a crash half-way is finished next start.
#include <cstddef>

#include "schema/result.hpp"
#include "schema/stores.hpp"

namespace selfheal::app {

class Fingerprinting;

struct UpgradeReport {
  std::size_t rows = 0;       // rows an older algorithm made
  std::size_t same = 0;       // the new algorithm gives them the same id
  std::size_t mapped = 0;     // new id merged into the old one
  std::size_t joined = 0;     // old fingerprints the new algorithm joins, merged into the larger
  std::size_t unmapped = 0;   // no kept sample to recompute from (left as they are)
};

/// `fp` must hold no merges yet (the raw new id is needed). `version` is the current algorithm.
Result<UpgradeReport> upgrade_fingerprint_ids(Stores& stores, Fingerprinting& fp, int version);

}  // namespace selfheal::app
