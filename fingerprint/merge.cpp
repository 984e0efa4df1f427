#include "fingerprint/merge.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "fingerprint/normalize.hpp"

namespace selfheal::fingerprint {
namespace {

std::vector<std::string_view> split_tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto sp = s.find(' ', i);
    if (sp == std::string_view::npos) sp = s.size();
    if (sp > i) out.push_back(s.substr(i, sp - i));
    i = sp + 1;
  }
  return out;
}

std::string join_with_wildcard(const std::vector<std::string_view>& toks, std::size_t pos) {
  std::string out;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    if (i) out.push_back(' ');
    out.append(i == pos ? wildcard : toks[i]);
  }
  return out;
}

// ALL-CAPS words are states and keywords (LOOKING, FOLLOWING, INFO), not user data.
bool all_caps_word(std::string_view t) {
  bool alpha = false;
  for (char c : t) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') alpha = true;
  }
  return alpha;
}
// Tokens with a letter, other than position `skip` and wildcards: the context that must be
// shared before a position may be called variable.
std::size_t literal_count(const std::vector<std::string_view>& toks, std::size_t skip) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    if (i == skip || toks[i] == wildcard) continue;
    for (char c : toks[i]) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        ++n;
        break;
      }
    }
  }
  return n;
}

}  // namespace

std::vector<TemplateMerge> learn_merges(const std::vector<std::string>& templates,
                                        const MergeOptions& opts) {
  std::set<std::string> originals(templates.begin(), templates.end());
  // image[t] = current merged form of original t
  std::map<std::string, std::string> image;
  for (const auto& t : originals) image[t] = t;

  std::set<std::string> current = originals;
  for (std::size_t round = 0; round < opts.max_rounds; ++round) {
    // key (template with one position wildcarded) -> distinct values at that position
    std::unordered_map<std::string, std::set<std::string_view>> values;
    std::vector<std::vector<std::string_view>> toks;
    std::vector<const std::string*> order;
    toks.reserve(current.size());
    for (const auto& t : current) {
      order.push_back(&t);
      toks.push_back(split_tokens(t));
    }
    std::vector<std::vector<std::string>> keys(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      const auto& tk = toks[k];
      if (tk.size() < 2) continue;  // a one-token template has no context to compare
      keys[k].reserve(tk.size());
      for (std::size_t i = 0; i < tk.size(); ++i) {
        keys[k].push_back(join_with_wildcard(tk, i));
        values[keys[k].back()].insert(tk[i]);
      }
    }
    std::map<std::string, std::string> step;
    for (std::size_t k = 0; k < order.size(); ++k) {
      std::size_t best = 0;
      const std::string* best_key = nullptr;
      for (std::size_t i = 0; i < keys[k].size(); ++i) {
        if (toks[k][i] == wildcard) continue;
        if (literal_count(toks[k], i) < opts.min_literal_context) continue;
        if (opts.keep_enum_positions) {
          bool caps = true;
          for (auto v : values[keys[k][i]])
            if (v != wildcard && !all_caps_word(v)) caps = false;
          if (caps) continue;
        }
        std::size_t n = values[keys[k][i]].size();
        if (n >= opts.min_distinct && n > best) {
          best = n;
          best_key = &keys[k][i];
        }
      }
      if (best_key != nullptr) step[*order[k]] = *best_key;
    }
    if (step.empty()) break;
    std::set<std::string> next;
    for (const auto& t : current) {
      auto it = step.find(t);
      next.insert(it == step.end() ? t : it->second);
    }
    for (auto& [orig, img] : image) {
      auto it = step.find(img);
      if (it != step.end()) img = it->second;
    }
    current = std::move(next);
  }
  std::vector<TemplateMerge> out;
  for (const auto& [orig, img] : image)
    if (orig != img) out.push_back({orig, img});
  return out;
}

}  // namespace selfheal::fingerprint
