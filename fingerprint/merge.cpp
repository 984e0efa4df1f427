#include "fingerprint/merge.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "fingerprint/normalize.hpp"

namespace selfheal::fingerprint {
namespace {

using sv = std::string_view;

// One token of a template: a word, one punctuation character or a wildcard, and whether
// whitespace came before it. Views point into strings that outlive the learner's stages.
struct Tok {
  sv text;
  bool space = false;
};
using Toks = std::vector<Tok>;

bool is_delim_char(char c) {
  switch (c) {
    case '=': case ',': case ';': case '(': case ')': case '[': case ']': case '{': case '}':
    case '"': case '\'': case '|': case ':': case '<': case '>':
      return true;
    default:
      return false;
  }
}

Toks tokenize(sv t) {
  Toks out;
  std::size_t i = 0;
  bool space = false;
  const std::size_t n = t.size();
  while (i < n) {
    if (t[i] == ' ') {
      space = true;
      ++i;
      continue;
    }
    if (t.compare(i, wildcard.size(), wildcard) == 0) {
      out.push_back({wildcard, space});
      i += wildcard.size();
    } else if (is_delim_char(t[i])) {
      out.push_back({t.substr(i, 1), space});
      ++i;
    } else {
      std::size_t j = i;
      while (j < n && t[j] != ' ' && !is_delim_char(t[j]) && t.compare(j, wildcard.size(), wildcard) != 0) ++j;
      out.push_back({t.substr(i, j - i), space});
      i = j;
    }
    space = false;
  }
  out.shrink_to_fit();  // serve tokenizes every stored template at once: no doubling slack
  return out;
}

// Inverse of tokenize; "<*> <*>" runs collapse as the scanner collapses them.
std::string render(const Toks& toks) {
  std::string out;
  for (const Tok& t : toks) {
    if (t.space && !out.empty()) {
      if (t.text == wildcard && out.size() >= wildcard.size() &&
          sv(out).substr(out.size() - wildcard.size()) == wildcard)
        continue;
      out.push_back(' ');
    }
    out.append(t.text);
  }
  return out;
}

bool is_word(sv t) {
  if (t == wildcard) return false;
  for (char c : t)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return false;
}

bool all_caps(sv t) {
  bool upper = false;
  for (char c : t) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  return upper;
}

struct PosKey {
  std::uint32_t pos;
  sv text;
  bool operator==(const PosKey&) const = default;
};
struct PosKeyHash {
  std::size_t operator()(const PosKey& k) const noexcept {
    return std::hash<sv>{}(k.text) * 31u + k.pos;
  }
};

// The distinct templates of one stage (views into the caller's strings) and their tokens; a stage
// answers with each merged template once and, per input template that merges, which one.
using Reps = std::map<sv, Toks>;
using Rep = Reps::value_type;
struct StageOut {
  std::vector<std::string> merged;
  std::unordered_map<const Rep*, std::uint32_t> of;
  void add(const Toks& toks, const std::vector<const Rep*>& members) {
    const auto idx = static_cast<std::uint32_t>(merged.size());
    merged.push_back(render(toks));
    for (const Rep* m : members) of[m] = idx;
  }
};

// Stage 1: same-length templates grouped by their pattern; variable positions decided per group.
// `known`: words already learned as values of some variable (any statement); a position whose
// words are all known values is a variable however few they are.
StageOut positional_known(const Reps& in, const MergeOptions& o, const std::unordered_set<sv>* known) {
  StageOut res;
  std::map<std::size_t, std::vector<const Rep*>> by_len;
  for (const auto& e : in) by_len[e.second.size()].push_back(&e);
  for (const auto& [len, ts] : by_len) {
    if (ts.size() < 2) continue;
    std::unordered_map<PosKey, std::uint32_t, PosKeyHash> freq;
    for (const auto* e : ts)
      for (std::size_t i = 0; i < len; ++i) ++freq[{static_cast<std::uint32_t>(i), e->second[i].text}];
    // Group key: the positions (and words) of the pattern, i.e. the frequency shared by the most
    // positions of the template (ties: the higher frequency).
    // Key: the pattern's (position, word) pairs - no separator characters, any bytes are safe.
    std::map<std::vector<std::pair<std::uint32_t, sv>>, std::vector<std::size_t>> groups;
    std::vector<std::uint32_t> f(len);
    for (std::size_t k = 0; k < ts.size(); ++k) {
      const Toks& tk = ts[k]->second;
      std::map<std::uint32_t, std::size_t> by_freq;
      for (std::size_t i = 0; i < len; ++i) {
        f[i] = freq[{static_cast<std::uint32_t>(i), tk[i].text}];
        ++by_freq[f[i]];
      }
      std::uint32_t best_f = 0;
      std::size_t best_n = 0;
      for (const auto& [fv, cnt] : by_freq)
        if (cnt > best_n || (cnt == best_n && fv > best_f)) best_f = fv, best_n = cnt;
      std::vector<std::pair<std::uint32_t, sv>> key;
      for (std::size_t i = 0; i < len; ++i)
        if (f[i] == best_f) key.emplace_back(static_cast<std::uint32_t>(i), tk[i].text);
      groups[std::move(key)].push_back(k);
    }
    for (const auto& [key, members] : groups) {
      if (members.size() < 2) continue;
      // Pattern positions: identical in every member (they are the key).
      std::vector<bool> in_pattern(len, false);
      std::size_t ctx = 0;
      {
        const Toks& first = ts[members[0]]->second;
        for (std::size_t i = 0; i < len; ++i) {
          bool same = true;
          for (std::size_t k : members) same = same && ts[k]->second[i].text == first[i].text;
          // A position is in the pattern when the key holds it; equal-in-all positions outside
          // the key behave alike (one value, never variable), so "same" is enough here.
          in_pattern[i] = same;
        }
        // Words of the key only (not merely shared ones) give context, as the pattern defines it.
        for (const auto& [pos, word] : key) ctx += is_word(word) ? 1 : 0;
      }
      std::vector<std::size_t> distinct(len, 1);
      std::vector<bool> cand(len, false);
      for (std::size_t j = 0; j < len; ++j) {
        if (in_pattern[j]) continue;
        std::unordered_set<sv> vals;
        bool caps = true, masked = false;
        for (std::size_t k : members) {
          sv v = ts[k]->second[j].text;
          if (v == wildcard) masked = true;
          else if (vals.insert(v).second) caps = caps && all_caps(v);
        }
        if (masked) vals.insert(wildcard);
        distinct[j] = vals.size();

        const std::size_t d = vals.size();
        const bool all_known = known != nullptr && d >= 2 && std::all_of(vals.begin(), vals.end(), [&](sv v) {
          return v == wildcard || known->count(v) > 0;
        });
        if (ctx >= 1 && (all_known || d >= o.min_distinct || (d >= o.min_distinct_in_context && ctx >= o.min_context_words)) &&
            !(o.keep_enum_positions && caps && !masked && !all_known))
          cand[j] = true;
      }
      // Positions where one determines the other (a function, not only one-to-one: statements
      // share words) with different words are a phrase of one statement. This is what keeps
      // statements apart behind a long shared header ("- <*> <*> RAS KERNEL INFO <message>").
      std::vector<bool> phrase(len, false);
      for (std::size_t j = 0; j < len; ++j) {
        if (!cand[j]) continue;
        for (std::size_t k2 = j + 1; k2 < len; ++k2) {
          if (!cand[k2]) continue;
          const bool adjacent = k2 == j + 1;
          if (!adjacent && !(o.phrase_min_distinct > 0 && std::min(distinct[j], distinct[k2]) >= o.phrase_min_distinct))
            continue;
          std::set<std::pair<sv, sv>> pairs;
          bool differ = false;
          for (std::size_t k : members) {
            sv a = ts[k]->second[j].text, b = ts[k]->second[k2].text;
            pairs.emplace(a, b);
            differ = differ || a != b;
          }
          // No program has that many statements of one pattern: past phrase_max_distinct pairs,
          // one-to-one columns are fresh values ("worker qzx lost its vbn connection to ..."), not
          // statements.
          if (differ && pairs.size() == std::max(distinct[j], distinct[k2]) && pairs.size() < o.phrase_max_distinct)
            phrase[j] = phrase[k2] = true;
        }
      }
      for (std::size_t j = 0; j < len; ++j) cand[j] = cand[j] && !phrase[j];
      // Members that agree on every non-variable position merge.
      std::map<std::vector<sv>, std::vector<std::size_t>> sub;
      for (std::size_t k : members) {
        std::vector<sv> sk;
        for (std::size_t j = 0; j < len; ++j)
          if (!in_pattern[j] && !cand[j]) sk.push_back(ts[k]->second[j].text);
        sub[sk].push_back(k);
      }
      for (const auto& [sk, ms] : sub) {
        if (ms.size() < 2) continue;
        const Toks& base = ts[ms[0]]->second;  // members are in template order: deterministic
        Toks merged = base;
        for (std::size_t j = 0; j < len; ++j)
          if (cand[j]) merged[j].text = wildcard;
        std::vector<const Rep*> reps;
        for (std::size_t k : ms) reps.push_back(ts[k]);
        res.add(merged, reps);
      }
    }
  }
  return res;
}

// Stage 0: a template that is another with one `<*>` left out printed an empty value there
// ("for user , removing" / "for user <*>, removing"; "remove ." / "remove <*>."); one that is
// another with words where the other holds `<*>` printed values the scanner cannot see ("of
// controller to <*>" / "of <*> to <*>"). It merges into the template that explains it so with the
// fewest words; when several do, only if they all lead to the same most general template.
// 64-bit keys for the indexes of `instances` (serve learns over 100,000 templates: one number per
// entry instead of token vectors). Every hit is verified on the tokens, so a collision costs a
// compare, never a wrong merge.
std::uint64_t mix(std::uint64_t h, std::uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }
std::uint64_t slot_hash(std::size_t len, std::size_t pos, sv text) {
  return mix(mix(std::hash<sv>{}(text), len), pos * 0x9e3779b97f4a7c15ull);
}
// Texts of tk without position skip (skip = tk.size(): all of them).
std::uint64_t texts_hash(const Toks& tk, std::size_t skip) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < tk.size(); ++i)
    if (i != skip) h = mix(h, std::hash<sv>{}(tk[i].text));
  return h;
}

StageOut instances(const Reps& in, const MergeOptions& o) {
  StageOut res;
  // Templates by their texts with one wildcard left out (the wildcard's position kept to verify).
  std::unordered_map<std::uint64_t, std::vector<std::pair<const Rep*, std::uint32_t>>> without;
  // Each template with a wildcard and a literal token, filed under its rarest literal token
  // (length, position, text): a template it generalises holds that token at that position.
  std::unordered_map<std::uint64_t, std::vector<const Rep*>> anchored;
  std::unordered_map<std::uint64_t, std::uint32_t> freq;
  if (o.wildcard_evidence)
    for (const auto& e : in)
      for (std::size_t i = 0; i < e.second.size(); ++i) ++freq[slot_hash(e.second.size(), i, e.second[i].text)];
  for (const auto& e : in) {
    const Toks& tk = e.second;
    std::size_t anchor = tk.size();
    std::uint32_t anchor_f = 0;
    bool any_wildcard = false;
    for (std::size_t p = 0; p < tk.size(); ++p) {
      if (tk[p].text != wildcard) {
        if (!o.wildcard_evidence) continue;
        const std::uint32_t f = freq[slot_hash(tk.size(), p, tk[p].text)];
        if (anchor == tk.size() || f < anchor_f) anchor = p, anchor_f = f;
        continue;
      }
      any_wildcard = true;
      if (o.learn_empty) without[texts_hash(tk, p)].emplace_back(&e, static_cast<std::uint32_t>(p));
    }
    if (o.wildcard_evidence && any_wildcard && anchor < tk.size())
      anchored[slot_hash(tk.size(), anchor, tk[anchor].text)].push_back(&e);
  }
  std::map<const Rep*, const Rep*> parent;
  std::map<const Rep*, std::set<const Rep*>> several;
  for (const auto& e : in) {
    const Toks& tk = e.second;
    std::set<const Rep*> found;
    if (o.learn_empty)
      if (auto it = without.find(texts_hash(tk, tk.size())); it != without.end())
        for (const auto& [b, p] : it->second) {
          const Toks& bt = b->second;
          if (bt.size() != tk.size() + 1) continue;
          bool same = true;
          for (std::size_t i = 0, k = 0; i < bt.size() && same; ++i)
            if (i != p) same = bt[i].text == tk[k++].text;
          if (same) found.insert(b);
        }
    if (o.wildcard_evidence) {
      std::size_t best = std::numeric_limits<std::size_t>::max();
      std::set<const Rep*> closest;
      for (std::size_t i = 0; i < tk.size(); ++i) {
        auto it = anchored.find(slot_hash(tk.size(), i, tk[i].text));
        if (it == anchored.end()) continue;
        for (const Rep* b : it->second) {
          std::size_t diff = 0;
          bool fits = b != &e && b->second.size() == tk.size();  // a hash collision can bring another length
          for (std::size_t k = 0; k < tk.size() && fits; ++k) {
            if (b->second[k].text == tk[k].text) continue;
            fits = b->second[k].text == wildcard && is_word(tk[k].text);
            ++diff;
          }
          if (!fits || diff == 0 || diff > best) continue;
          if (diff < best) closest.clear(), best = diff;
          closest.insert(b);
        }
      }
      found.insert(closest.begin(), closest.end());
    }
    found.erase(&e);
    if (found.size() == 1) parent[&e] = *found.begin();
    else if (found.size() > 1) several[&e] = std::move(found);
  }
  // Several templates explain one ("[a] from [a]" is "[<*>] from [a]" and "[a] from [<*>]"): it
  // merges only when they all lead to one most general template. Decided on the unique links
  // alone, so the result does not depend on the order of this loop.
  auto root_of = [&](const Rep* r) {
    for (auto it = parent.find(r); it != parent.end(); it = parent.find(r)) r = it->second;
    return r;
  };
  std::vector<std::pair<const Rep*, const Rep*>> resolved;
  for (const auto& [a, cands] : several) {
    std::set<const Rep*> roots;
    for (const Rep* c : cands) roots.insert(root_of(c));
    if (roots.size() == 1 && *roots.begin() != a) resolved.emplace_back(a, *roots.begin());
  }
  for (const auto& [a, r] : resolved) parent[a] = r;
  // Every link adds a wildcard or removes a token, so chains end.
  std::map<const Rep*, std::vector<const Rep*>> groups;
  for (const auto& [a, b] : parent) groups[root_of(b)].push_back(a);
  for (auto& [root, ms] : groups) {
    ms.push_back(root);
    res.add(root->second, ms);
  }
  return res;
}

StageOut positional(const Reps& in, const MergeOptions& o) { return positional_known(in, o, nullptr); }

// The shared suffix must not start inside the value: a closing bracket or quote in it that no
// opener of the prefix accounts for belongs to the middle ("error: KeyError('x')" keeps "')" in
// the value). Returns the suffix length that starts after the last such token.
std::size_t balanced_suffix(const Toks& w, std::size_t plen, std::size_t s) {
  std::vector<char> open;
  for (std::size_t i = 0; i < plen; ++i) {
    const sv t = w[i].text;
    if (t == "(" || t == "[" || t == "{") {
      open.push_back(t[0]);
    } else if (t == ")" || t == "]" || t == "}") {
      if (!open.empty()) open.pop_back();
    } else if (t == "\"" || t == "'") {
      if (!open.empty() && open.back() == t[0]) open.pop_back();
      else open.push_back(t[0]);
    }
  }
  // Openers of the prefix carry index npos; openers inside the suffix carry their index.
  std::vector<std::pair<char, std::size_t>> stack;
  for (char c : open) stack.emplace_back(c, sv::npos);
  std::size_t keep = s;
  for (std::size_t i = w.size() - s; i < w.size(); ++i) {
    const sv t = w[i].text;
    if (t == "(" || t == "[" || t == "{") {
      stack.emplace_back(t[0], i);
    } else if (t == ")" || t == "]" || t == "}") {
      const char want = t == ")" ? '(' : t == "]" ? '[' : '{';
      if (!stack.empty() && stack.back().first == want) stack.pop_back();
      else keep = w.size() - i - 1;  // closes something inside the value
    } else if (t == "\"" || t == "'") {
      if (!stack.empty() && stack.back().first == t[0]) stack.pop_back();
      else stack.emplace_back(t[0], i);
    }
  }
  // A quote opened in the suffix and never closed there closed the value instead.
  for (const auto& [c, i] : stack)
    if (i != sv::npos && (c == '"' || c == '\'')) {
      keep = std::min(keep, w.size() - i - 1);
      break;
    }
  return keep;
}

bool is_cue(sv t) { return t == ":" || t == "=" || t == "(" || t == "\"" || t == "'" || t == "["; }

// Stage 2: a shared prefix ending in a value cue, a shared suffix, different middles.
StageOut gaps(const Reps& in, const MergeOptions& o) {
  StageOut res;
  // prefix (as text up to the cue) -> members; the prefix length in tokens orders the work.
  std::map<std::pair<std::size_t, sv>, std::vector<const Rep*>> groups;
  for (const auto& e : in) {
    const Toks& tk = e.second;
    std::size_t chunks = 0;
    bool cur = false;
    for (std::size_t i = 1; i < tk.size(); ++i) {
      const Tok& prev = tk[i - 1];
      if (prev.space) {
        chunks += cur ? 1 : 0;
        cur = false;
      }
      cur = cur || is_word(prev.text);
      if (!is_cue(prev.text) || (prev.text == ":" && !tk[i].space)) continue;
      if (chunks + (cur ? 1 : 0) < o.gap_min_prefix_words) continue;
      const std::size_t end = static_cast<std::size_t>(prev.text.data() + prev.text.size() - e.first.data());
      groups[{std::numeric_limits<std::size_t>::max() - i, sv(e.first).substr(0, end)}].push_back(&e);
    }
  }
  using Entry = const Rep*;
  // The middles of a set of members under a prefix of plen tokens: the shared suffix (balanced)
  // is cut off. Returns the suffix length.
  auto middles = [](const std::vector<Entry>& ms, std::size_t plen, std::vector<std::vector<sv>>& out) {
    std::size_t s = 0;  // longest common suffix not overlapping the prefix (none for one member)
    while (ms.size() > 1) {
      bool ok = true;
      sv want;
      for (std::size_t m = 0; m < ms.size() && ok; ++m) {
        const Toks& w = ms[m]->second;
        if (w.size() < plen + s + 1) {
          ok = false;
          break;
        }
        sv t = w[w.size() - s - 1].text;
        if (m == 0) want = t;
        ok = t == want;
      }
      if (!ok) break;
      ++s;
    }
    s = balanced_suffix(ms[0]->second, plen, s);
    out.clear();
    for (const auto* e : ms) {
      const Toks& w = e->second;
      std::vector<sv> mid;
      for (std::size_t i = plen; i + s < w.size(); ++i) mid.push_back(w[i].text);
      out.push_back(std::move(mid));
    }
    return s;
  };
  // How many different prefixes each middle follows: an error text that follows several
  // statements ("Connection refused", "TimeoutError('timed out')") is a value; a phrase that only
  // ever ends one statement ("sync: Flushing old data") is part of it.
  // Keyed by a 64-bit hash of the middle's tokens: one number per middle instead of its tokens
  // (100,000 templates in serve); a collision could only add evidence to one gap.
  auto mid_hash = [](const std::vector<sv>& m) {
    std::uint64_t h = 1469598103934665603ull;
    for (sv t : m) {
      for (char c : t) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      h = (h ^ 0x1f) * 1099511628211ull;  // token separator
    }
    return h;
  };
  std::unordered_map<std::uint64_t, std::uint32_t> prefixes_of;
  if (o.gap_min_shared > 0) {
    std::vector<std::vector<sv>> mids;
    for (const auto& [key, all] : groups) {
      middles(all, std::numeric_limits<std::size_t>::max() - key.first, mids);
      std::set<std::vector<sv>> distinct(mids.begin(), mids.end());
      for (const auto& m : distinct)
        if (!m.empty()) ++prefixes_of[mid_hash(m)];
    }
  }
  std::unordered_set<const Rep*> taken;
  std::vector<std::vector<sv>> mid_list;
  for (const auto& [key, all] : groups) {
    const std::size_t plen = std::numeric_limits<std::size_t>::max() - key.first;
    std::vector<Entry> ms;
    for (const auto* e : all)
      if (!taken.count(e)) ms.push_back(e);
    if (ms.size() < 2) continue;
    const std::size_t s = middles(ms, plen, mid_list);
    std::set<std::vector<sv>> mids;
    std::set<sv> firsts;
    std::size_t with_value = 0, shared = 0;
    for (auto& mid : mid_list) {
      const bool value = std::any_of(mid.begin(), mid.end(), [](sv t) { return is_word(t) || t == wildcard; });
      firsts.insert(mid.empty() ? sv() : mid.front());
      if (!mids.insert(mid).second) continue;
      with_value += value ? 1 : 0;
      if (o.gap_min_shared > 0) {
        auto it = prefixes_of.find(mid_hash(mid));
        // Also evidence: a middle that is already a variable, or none at all (an empty value
        // next to non-empty ones: "(reason: )" and "(reason: timeout)").
        shared += (it != prefixes_of.end() && it->second >= 2) || (mid.size() == 1 && mid[0] == wildcard) || mid.empty()
                      ? 1
                      : 0;
      }
    }
    if (with_value < o.gap_min_distinct || mids.size() < o.gap_min_distinct || firsts.size() < 2) continue;
    if (shared < o.gap_min_shared) continue;
    // Spacing from a member whose middle is not empty ("(reason: <*>)", not "(reason: <*> )").
    std::size_t b = 0;
    while (b + 1 < ms.size() && mid_list[b].empty()) ++b;
    const Toks& base = ms[b]->second;
    Toks merged(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(plen));
    merged.push_back({wildcard, base.size() > plen ? base[plen].space : false});
    merged.insert(merged.end(), base.end() - static_cast<std::ptrdiff_t>(s), base.end());
    res.add(merged, ms);
    taken.insert(ms.begin(), ms.end());
  }
  return res;
}

// Applies one stage to the current images: image[orig] = stage(set of images)[image[orig]].
template <typename Stage>
void apply(std::map<sv, std::string>& image, Stage stage, const MergeOptions& o) {
  std::vector<std::pair<std::string*, std::uint32_t>> updates;
  StageOut out;
  {
    Reps reps;  // views into the images: nothing below changes an image until the stage is done
    for (const auto& [orig, img] : image) reps.try_emplace(sv(img));
    for (auto& [t, toks] : reps) toks = tokenize(t);
    out = stage(reps, o);
    for (auto& [orig, img] : image) {
      auto m = out.of.find(&*reps.find(sv(img)));
      if (m != out.of.end()) updates.emplace_back(&img, m->second);
    }
  }
  for (const auto& [img, idx] : updates) *img = out.merged[idx];
}

}  // namespace

bool template_covers(std::string_view general, std::string_view specific) {
  const Toks g = tokenize(general), t = tokenize(specific);
  // ok[i][j]: g[i..] matches t[j..]; a wildcard of g matches one or more tokens of t.
  std::vector<std::vector<char>> ok(g.size() + 1, std::vector<char>(t.size() + 1, 0));
  ok[g.size()][t.size()] = 1;
  for (std::size_t i = g.size(); i-- > 0;)
    for (std::size_t j = t.size() + 1; j-- > 0;) {
      if (j == t.size()) continue;
      if (g[i].text == wildcard) ok[i][j] = ok[i + 1][j + 1] || ok[i][j + 1];
      else ok[i][j] = g[i].text == t[j].text && ok[i + 1][j + 1];
    }
  return ok[0][0] != 0;
}

bool set_merge_option(MergeOptions& o, std::string_view name, std::size_t v) {
  if (name == "min_distinct") o.min_distinct = v;
  else if (name == "min_distinct_in_context") o.min_distinct_in_context = v;
  else if (name == "min_context_words") o.min_context_words = v;
  else if (name == "keep_enum_positions") o.keep_enum_positions = v != 0;
  else if (name == "wildcard_evidence") o.wildcard_evidence = v != 0;
  else if (name == "learn_empty") o.learn_empty = v != 0;
  else if (name == "learn_known_values") o.learn_known_values = v != 0;
  else if (name == "phrase_min_distinct") o.phrase_min_distinct = v;
  else if (name == "phrase_max_distinct") o.phrase_max_distinct = v;
  else if (name == "learn_gaps") o.learn_gaps = v != 0;
  else if (name == "gap_min_distinct") o.gap_min_distinct = v;
  else if (name == "gap_min_prefix_words") o.gap_min_prefix_words = v;
  else if (name == "gap_min_shared") o.gap_min_shared = v;
  else return false;
  return true;
}

std::vector<TemplateMerge> learn_merges(const std::vector<std::string>& templates, const MergeOptions& opts) {
  const std::vector<std::string_view> views(templates.begin(), templates.end());
  return learn_merges(std::span<const std::string_view>(views), opts);
}

std::vector<TemplateMerge> learn_merges(std::span<const std::string_view> templates, const MergeOptions& opts) {
  std::map<sv, std::string> image;  // original template (a view into templates) -> its merged form
  for (const auto& t : templates) image.emplace(t, t);
  if (opts.learn_empty || opts.wildcard_evidence) apply(image, instances, opts);
  apply(image, positional, opts);
  if (opts.learn_gaps) {
    apply(image, gaps, opts);
    apply(image, positional, opts);  // merged gaps can line up new positions
  }
  if (opts.learn_known_values) {
    // Words the rounds above absorbed into a variable are values (of any statement): one more
    // round of positions that hold only such words, and of templates made general by it.
    std::unordered_set<sv> known;  // views into the caller's templates
    for (const auto& [orig, img] : image) {
      if (orig == img) continue;
      const Toks a = tokenize(orig), b = tokenize(img);
      if (a.size() != b.size()) continue;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (b[i].text == wildcard && is_word(a[i].text)) known.insert(a[i].text);
    }
    if (!known.empty()) {
      apply(image, [&known](const Reps& r, const MergeOptions& o) { return positional_known(r, o, &known); }, opts);
      if (opts.learn_empty || opts.wildcard_evidence) apply(image, instances, opts);
    }
  }
  std::vector<TemplateMerge> out;
  for (const auto& [orig, img] : image)
    if (orig != img) out.push_back({std::string(orig), img});
  return out;
}

}  // namespace selfheal::fingerprint
