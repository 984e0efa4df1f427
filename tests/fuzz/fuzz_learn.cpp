// libFuzzer target: the template learner. The input is split into lines, each line normalised
// (as the CLI and serve feed it) and also taken raw; learn_merges must not crash, hang or depend
// on order, and every merge must name an input template.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fingerprint/merge.hpp"
#include "fingerprint/normalize.hpp"

namespace fp = selfheal::fingerprint;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> templates;
  std::size_t pos = 0;
  while (pos <= in.size() && templates.size() < 256) {
    auto nl = in.find('\n', pos);
    std::string_view line = in.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    templates.push_back(fp::normalize(line));
    templates.emplace_back(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  const auto merges = fp::learn_merges(templates);
  const std::set<std::string> inputs(templates.begin(), templates.end());
  for (const auto& m : merges)
    if (!inputs.count(m.from)) std::abort();
  std::reverse(templates.begin(), templates.end());
  const auto again = fp::learn_merges(templates);
  if (again.size() != merges.size()) std::abort();
  for (std::size_t i = 0; i < merges.size(); ++i)
    if (again[i].from != merges[i].from || again[i].into != merges[i].into) std::abort();
  for (const auto& m : merges) (void)fp::template_covers(m.into, m.from);
  return 0;
}
