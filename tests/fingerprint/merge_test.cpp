// Learned merges depend on the SET of templates only, never on order, and keep enum-like
// positions and short templates literal.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "fingerprint/merge.hpp"

namespace fp = selfheal::fingerprint;

TEST_CASE("a position with many distinct values among otherwise equal templates merges") {
  std::vector<std::string> t = {"Invalid user admin from <*>", "Invalid user guest from <*>",
                                "Invalid user oracle from <*>", "Invalid user test from <*>",
                                "Invalid user www from <*>", "Connection closed by <*>"};
  auto merges = fp::learn_merges(t);
  REQUIRE(merges.size() == 5);
  for (const auto& m : merges) CHECK(m.into == "Invalid user <*> from <*>");
}

TEST_CASE("below min_distinct nothing merges") {
  std::vector<std::string> t = {"user admin logged in", "user guest logged in", "user root logged in"};
  CHECK(fp::learn_merges(t).empty());
  fp::MergeOptions o;
  o.min_distinct = 3;
  CHECK(fp::learn_merges(t, o).size() == 3);
}

TEST_CASE("ALL-CAPS values (states, keywords) and contexts without words stay apart") {
  std::vector<std::string> states = {"state is LOOKING now", "state is LEADING now", "state is FOLLOWING now",
                                     "state is OBSERVING now", "state is STOPPED now"};
  CHECK(fp::learn_merges(states).empty());
  std::vector<std::string> two = {"alpha <*>", "beta <*>", "gamma <*>", "delta <*>", "omega <*>"};
  CHECK(fp::learn_merges(two).empty());
}

TEST_CASE("the result is independent of input order and duplicates") {
  std::vector<std::string> t;
  const char* users[] = {"ann", "bob", "cy", "dee", "eve", "fay"};
  for (auto u : users) {
    t.push_back(std::string("Accepted password for ") + u + " from <*> port <*>");
    t.push_back(std::string("session closed for user ") + u);
  }
  t.push_back("Server listening on <*>");
  auto base = fp::learn_merges(t);
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    auto copy = t;
    copy.insert(copy.end(), t.begin(), t.begin() + i % 5);
    std::shuffle(copy.begin(), copy.end(), rng);
    auto m = fp::learn_merges(copy);
    REQUIRE(m.size() == base.size());
    for (std::size_t k = 0; k < m.size(); ++k) {
      CHECK(m[k].from == base[k].from);
      CHECK(m[k].into == base[k].into);
    }
  }
}
