// Learned merges depend on the SET of templates only, never on order. Positions: many values, or a
// few values behind enough context, are variables; phrases and ALL-CAPS states stay literal.
// Gaps: a value of several words after a label or inside quotes.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "fingerprint/merge.hpp"

namespace fp = selfheal::fingerprint;

namespace {
std::string into_of(const std::vector<fp::TemplateMerge>& ms, const std::string& from) {
  for (const auto& m : ms)
    if (m.from == from) return m.into;
  return from;
}
}  // namespace

TEST_CASE("a position with many distinct values among otherwise equal templates merges") {
  std::vector<std::string> t = {"Invalid user admin from <*>", "Invalid user guest from <*>",
                                "Invalid user oracle from <*>", "Invalid user test from <*>",
                                "Invalid user www from <*>", "Connection closed by <*>"};
  auto merges = fp::learn_merges(t);
  REQUIRE(merges.size() == 5);
  for (const auto& m : merges) CHECK(m.into == "Invalid user <*> from <*>");
}

TEST_CASE("a few values are a variable only behind enough words of context") {
  // Three users behind "session opened for user": a variable.
  std::vector<std::string> users = {"session opened for user alice", "session opened for user bob",
                                    "session opened for user carol"};
  auto m = fp::learn_merges(users);
  REQUIRE(m.size() == 3);
  CHECK(m[0].into == "session opened for user <*>");
  // Two verbs behind one word: two statements.
  CHECK(fp::learn_merges({"Connection opened", "Connection closed"}).empty());
  // Accepted/Failed: two values are never enough, however long the context.
  CHECK(fp::learn_merges({"Accepted password for <*> from <*> port <*> ssh2",
                          "Failed password for <*> from <*> port <*> ssh2"})
            .empty());
  fp::MergeOptions o;
  o.min_distinct_in_context = 4;
  CHECK(fp::learn_merges(users, o).empty());
}

TEST_CASE("ALL-CAPS values (states, keywords) and contexts without words stay apart") {
  std::vector<std::string> states = {"state is LOOKING now", "state is LEADING now", "state is FOLLOWING now",
                                     "state is OBSERVING now", "state is STOPPED now"};
  CHECK(fp::learn_merges(states).empty());
  std::vector<std::string> two = {"alpha <*>", "beta <*>", "gamma <*>", "delta <*>", "omega <*>"};
  CHECK(fp::learn_merges(two).empty());
}

TEST_CASE("positions that determine each other with different words are a phrase, not variables") {
  // Five statements that share a long request context and differ in their first words.
  std::vector<std::string> t = {"client closed connection, client: <*>, server: <*>",
                                "upstream timed out, client: <*>, server: <*>",
                                "upstream sent nothing, client: <*>, server: <*>",
                                "request body ignored, client: <*>, server: <*>",
                                "header line invalid, client: <*>, server: <*>"};
  CHECK(fp::learn_merges(t).empty());
}

TEST_CASE("a variable that appears twice in one message is learned") {
  std::vector<std::string> t;
  for (const char* u : {"ann", "bob", "cy", "dee"})
    t.push_back(std::string("user ") + u + " failed to login as " + u + " again");
  auto m = fp::learn_merges(t);
  REQUIRE(m.size() == 4);
  for (const auto& x : m) CHECK(x.into == "user <*> failed to login as <*> again");
}

TEST_CASE("a value of several words after a label, in quotes or brackets, is one variable") {
  // The error texts follow several statements: that is what makes them values.
  std::vector<std::string> t = {"Task handler raised error: TimeoutError('timed out')",
                                "Task handler raised error: KeyError('user_id')",
                                "Timer error: TimeoutError('timed out')",
                                "Timer error: KeyError('user_id')",
                                "connect() failed (<*>: Connection refused) while connecting",
                                "connect() failed (<*>: No route to host) while connecting",
                                "recv() failed (<*>: Connection refused) while reading",
                                "recv() failed (<*>: No route to host) while reading",
                                "Error getting certificate \"a/b\": context deadline exceeded",
                                "Error getting certificate \"a/b\": the object has been modified; please retry",
                                "Error syncing secret \"a/b\": context deadline exceeded"};
  auto m = fp::learn_merges(t);
  CHECK(into_of(m, t[0]) == "Task handler raised error: <*>");
  CHECK(into_of(m, t[1]) == "Task handler raised error: <*>");
  CHECK(into_of(m, t[2]) == "Timer error: <*>");
  CHECK(into_of(m, t[4]) == "connect() failed (<*>: <*>) while connecting");
  CHECK(into_of(m, t[5]) == into_of(m, t[4]));
  CHECK(into_of(m, t[8]) == "Error getting certificate \"a/b\": <*>");
  CHECK(into_of(m, t[9]) == into_of(m, t[8]));
  // A phrase that only ever ends one statement is part of it.
  CHECK(fp::learn_merges({"MASTER <-> REPLICA sync: Flushing old data", "MASTER <-> REPLICA sync: Finished with success",
                          "MASTER <-> REPLICA sync: Loading DB in memory"})
            .empty());
  // ...unless one of them is empty: "(reason: )" next to "(reason: timeout)" is a value.
  auto r = fp::learn_merges({"rebalance group <*> (reason: shutdown).", "rebalance group <*> (reason: timeout).",
                             "rebalance group <*> (reason: )."});
  REQUIRE(r.size() == 3);
  CHECK(r[0].into == "rebalance group <*> (reason: <*>).");
  // Different endings of a label ("Error:") or a tag ("pam_unix(sshd:auth):") that no other
  // statement shares are different statements.
  std::vector<std::string> tags = {"pam_unix(sshd:auth): check pass; user unknown",
                                   "pam_unix(sshd:auth): authentication failure; logname=<*> uid=<*>",
                                   "Error: Invalid bridge configuration", "Error: out of memory"};
  CHECK(fp::learn_merges(tags).empty());
  // An optional trailing part with the same first token is not a value ("ruser=<*> rhost=<*>"
  // with or without " user=<*>").
  CHECK(fp::learn_merges({"auth failure; logname=<*> ruser=<*> rhost=<*>",
                          "auth failure; logname=<*> ruser=<*> rhost=<*> user=<*>"})
            .empty());
  fp::MergeOptions no_evidence;
  no_evidence.gap_min_shared = 0;
  CHECK(fp::learn_merges({"MASTER <-> REPLICA sync: Flushing old data", "MASTER <-> REPLICA sync: Finished with success"},
                         no_evidence)
            .size() == 2);
}

TEST_CASE("a template that is another with one value left empty merges into it") {
  // "for host ," printed an empty host where the other line printed one.
  std::vector<std::string> t = {"Dropping lease for host <*>, retrying later.", "Dropping lease for host , retrying later.",
                                "Cache flushed to <*>.", "Cache flushed to ."};
  auto m = fp::learn_merges(t);
  CHECK(into_of(m, "Dropping lease for host , retrying later.") == "Dropping lease for host <*>, retrying later.");
  CHECK(into_of(m, "Cache flushed to .") == "Cache flushed to <*>.");
  // Must stay apart: the shorter one lacks a word, not a value.
  CHECK(fp::learn_merges({"Flushing cache <*> now", "Flushing now"}).empty());
  // Ambiguous: two templates explain the short one; neither is chosen.
  auto amb = fp::learn_merges({"Reload <*> done ok", "Reload done <*> ok", "Reload done ok"});
  CHECK(into_of(amb, "Reload done ok") == "Reload done ok");
  fp::MergeOptions o;
  o.learn_empty = false;
  CHECK(into_of(fp::learn_merges(t, o), "Cache flushed to .") == "Cache flushed to .");
}

TEST_CASE("a word where an otherwise equal template holds a value is that value") {
  // One of the lines printed a host name without digits; the scanner masked the others.
  std::vector<std::string> t = {"Lease for worker <*> moved from gateway to <*>",
                                "Lease for worker <*> moved from <*> to <*>",
                                "Lease for worker <*> moved from <*> to mirror",
                                "Spooler stopped"};
  auto m = fp::learn_merges(t);
  CHECK(into_of(m, "Lease for worker <*> moved from gateway to <*>") == "Lease for worker <*> moved from <*> to <*>");
  CHECK(into_of(m, "Lease for worker <*> moved from <*> to mirror") == "Lease for worker <*> moved from <*> to <*>");
  CHECK(into_of(m, "Spooler stopped") == "Spooler stopped");
  // Chains end at the most general template.
  auto chain = fp::learn_merges({"copy alpha to beta", "copy <*> to beta", "copy <*> to <*>"});
  CHECK(into_of(chain, "copy alpha to beta") == "copy <*> to <*>");
  CHECK(into_of(chain, "copy <*> to beta") == "copy <*> to <*>");
  // Words in several positions where the general template holds values.
  auto multi = fp::learn_merges({"Queue mailer on node <*> paused by <*>", "Queue mailer on node gamma paused by ops",
                                 "Queue mailer on node gamma stopped by ops"});
  CHECK(into_of(multi, "Queue mailer on node gamma paused by ops") == "Queue mailer on node <*> paused by <*>");
  CHECK(into_of(multi, "Queue mailer on node gamma stopped by ops") == "Queue mailer on node gamma stopped by ops");
  // Two templates explain one and both lead to the same general one: it merges there.
  auto both = fp::learn_merges({"sync [<*>] with [<*>]", "sync [<*>] with [north]", "sync [north] with [<*>]",
                                "sync [north] with [north]"});
  CHECK(into_of(both, "sync [north] with [north]") == "sync [<*>] with [<*>]");
  // ...but not when they lead to different ones.
  auto two_ways = fp::learn_merges({"sync <*> with north", "sync north with <*>", "sync north with north"});
  CHECK(into_of(two_ways, "sync north with north") == "sync north with north");
  // Must stay apart: two words in two positions differ from the general template
  // ("Local IP" / "Remote IP" beside "<*> Addr": a second word differs, so no evidence).
  auto apart = fp::learn_merges({"keepalive: Local IP: <*>", "keepalive: Remote IP: <*>", "keepalive: <*> Addr: <*>"});
  CHECK(into_of(apart, "keepalive: Local IP: <*>") == "keepalive: Local IP: <*>");
  CHECK(into_of(apart, "keepalive: Remote IP: <*>") == "keepalive: Remote IP: <*>");
  fp::MergeOptions o;
  o.wildcard_evidence = false;
  CHECK(into_of(fp::learn_merges(t, o), "Lease for worker <*> moved from gateway to <*>") ==
        "Lease for worker <*> moved from gateway to <*>");
}

TEST_CASE("words learned as values elsewhere make a position a variable however few they are") {
  std::vector<std::string> t = {"Replica alpha lost sync", "Replica beta lost sync", "Replica gamma lost sync",
                                "Replica delta lost sync", "Replica omega lost sync",
                                "Module alpha refused reload", "Module beta refused reload"};
  auto m = fp::learn_merges(t);
  CHECK(into_of(m, "Replica alpha lost sync") == "Replica <*> lost sync");
  CHECK(into_of(m, "Module alpha refused reload") == "Module <*> refused reload");
  CHECK(into_of(m, "Module beta refused reload") == "Module <*> refused reload");
  // Must stay apart: one of the two words was never a value.
  auto apart = t;
  apart.back() = "Module zeta refused reload";
  auto a = fp::learn_merges(apart);
  CHECK(into_of(a, "Module alpha refused reload") == "Module alpha refused reload");
  CHECK(into_of(a, "Module zeta refused reload") == "Module zeta refused reload");
  // Must stay apart: statements whose differing word was never a value ("opened" / "closed").
  CHECK(into_of(fp::learn_merges({"Replica alpha lost sync", "Replica beta lost sync", "Replica gamma lost sync",
                                  "Replica delta lost sync", "Replica omega lost sync", "Channel opened",
                                  "Channel closed"}),
                "Channel opened") == "Channel opened");
  fp::MergeOptions o;
  o.learn_known_values = false;
  CHECK(into_of(fp::learn_merges(t, o), "Module alpha refused reload") == "Module alpha refused reload");
}

TEST_CASE("gaps can be switched off") {
  fp::MergeOptions o;
  o.learn_gaps = false;
  CHECK(fp::learn_merges({"Timer error: TimeoutError('timed out')", "Timer error: KeyError('user_id')"}, o).empty());
}

TEST_CASE("options are set by name, as the CLI and the evaluation set them") {
  fp::MergeOptions o;
  CHECK(fp::set_merge_option(o, "min_distinct", 7));
  CHECK(o.min_distinct == 7);
  CHECK(fp::set_merge_option(o, "keep_enum_positions", 0));
  CHECK_FALSE(o.keep_enum_positions);
  CHECK(fp::set_merge_option(o, "learn_empty", 0));
  CHECK_FALSE(o.learn_empty);
  CHECK(fp::set_merge_option(o, "learn_known_values", 0));
  CHECK_FALSE(o.learn_known_values);
  CHECK(fp::set_merge_option(o, "wildcard_evidence", 0));
  CHECK_FALSE(o.wildcard_evidence);
  CHECK_FALSE(fp::set_merge_option(o, "no_such_option", 1));
}

TEST_CASE("the result is independent of input order and duplicates") {
  std::vector<std::string> t;
  const char* users[] = {"ann", "bob", "cy", "dee", "eve", "fay"};
  for (auto u : users) {
    t.push_back(std::string("Accepted password for ") + u + " from <*> port <*>");
    t.push_back(std::string("session closed for user ") + u);
    t.push_back(std::string("job failed: ") + u + " is not allowed to run " + u);
  }
  t.push_back("Server listening on <*>");
  t.push_back("Timer error: TimeoutError('timed out')");
  t.push_back("Timer error: KeyError('user_id')");
  auto base = fp::learn_merges(t);
  REQUIRE(!base.empty());
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

TEST_CASE("learning never throws and stays bounded on odd templates") {
  std::vector<std::string> t = {"", " ", "<*>", "<*> <*>", "a", "\"", "((((", "a: b", "a: \"", "= = =",
                                std::string(5000, 'x'), "x: " + std::string(3000, ' ') + "y"};
  for (int i = 0; i < 50; ++i) t.push_back("k" + std::to_string(i % 7) + ": v" + std::string(i % 3, '"'));
  CHECK_NOTHROW(fp::learn_merges(t));
}

TEST_CASE("a template covers another when its wildcards stand for one or more tokens") {
  CHECK(fp::template_covers("error: <*>", "error: disk: full"));
  CHECK(fp::template_covers("error: disk: <*>", "error: disk: full"));
  CHECK_FALSE(fp::template_covers("error: disk: <*>", "error: <*>"));  // narrower than the old one
  CHECK_FALSE(fp::template_covers("error: disk: <*>", "error: net: down"));
  CHECK(fp::template_covers("a <*> b <*>", "a x y b z"));
  CHECK_FALSE(fp::template_covers("a <*> b", "a b"));  // a wildcard is never empty
  CHECK(fp::template_covers("same", "same"));
}
