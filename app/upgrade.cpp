#include "app/upgrade.hpp"

#include <unordered_map>
#include <unordered_set>

#include "app/fingerprinting.hpp"
#include "schema/stores.hpp"

namespace selfheal::app {

constexpr const char* kUpgrade = "upgrade";

Result<UpgradeReport> upgrade_fingerprint_ids(Stores& stores, Fingerprinting& fp, int version) {
  LifecycleStore& lc = stores.lifecycle();
  FingerprintAdminStore& admin = stores.fingerprint_admin();
  auto rows = admin.fingerprints_before_version(version);
  if (!rows) return rows.error();
  UpgradeReport rep;
  rep.rows = rows->size();
  if (rows->empty()) return rep;
  auto merges = lc.merges();
  if (!merges) return merges.error();
  auto apart = admin.unmerged_by_people(kUpgrade);
  if (!apart) return apart.error();
  const std::unordered_set<std::string> kept_apart(apart->begin(), apart->end());
  auto final_of = [&](std::string id) {
    for (int hops = 0; hops < 8; ++hops) {
      auto it = merges->find(id);
      if (it == merges->end()) break;
      id = it->second;
    }
    return id;
  };
  for (const auto& old : *rows) {  // largest first: it claims a shared new id
    if (old.sample.empty()) {
      ++rep.unmapped;
      if (auto r = admin.set_algorithm_version(old.id, version); !r) return r.error();
      continue;
    }
    LogEvent ev;
    ev.message = old.sample;
    ev.service = old.service.empty() ? "unknown" : old.service;
    ev.host = old.host;
    ev.labels = old.labels;  // rules that match on labels decide as they did
    const FingerprintInfo now = fp.compute(ev);
    if (now.id == old.id) {
      ++rep.same;
    } else {
      auto created = admin.ensure_upgraded(now.id, now.template_text, now.exception_type, now.frames_json, old, version);
      if (!created) return created.error();
      // Created now, or created by a run that stopped before merging it (still unmerged): map it.
      if (*created || final_of(now.id) == now.id) {
        // New id -> old fingerprint: its events keep counting where people know them.
        if (auto m = lc.merge(now.id, old.id, kUpgrade); !m && m.error().code != ErrorCode::conflict) return m.error();
        (*merges)[now.id] = final_of(old.id);
        ++rep.mapped;
      } else {
        // A larger old fingerprint already holds this new id: the new algorithm says they are one.
        const std::string holder = final_of(now.id);
        // Never against a person's decision: an id a person unmerged stays apart.
        if (old.merged_into.empty() && holder != old.id && holder != now.id && final_of(old.id) != holder &&
            !kept_apart.count(old.id) && !kept_apart.count(holder)) {
          auto m = lc.merge(old.id, holder, kUpgrade);
          if (!m && m.error().code != ErrorCode::conflict) return m.error();
          if (m) {
            (*merges)[old.id] = holder;
            ++rep.joined;
          }
        }
      }
    }
    if (auto r = admin.set_algorithm_version(old.id, version); !r) return r.error();
  }
  return rep;
}

}  // namespace selfheal::app
