#include "app/store_admin.hpp"


namespace selfheal::app {

void load_merges(LifecycleStore& lifecycle, Fingerprinting& fp) {
  if (auto m = lifecycle.merges()) fp.set_merges(std::move(*m));
}

}  // namespace selfheal::app
