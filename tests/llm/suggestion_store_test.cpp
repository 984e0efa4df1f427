#include <doctest/doctest.h>

#include "schema/sqlite_suggestion_store.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;

namespace {
StoredSuggestion make(const std::string& fp, const std::string& key, UnixMs at, double conf = 0.5) {
  StoredSuggestion s;
  s.fingerprint_id = fp;
  s.summary = "sum " + fp;
  s.root_cause = "rc";
  s.suggested_fix = "fix";
  s.model_confidence = conf;
  s.confidence = conf;
  s.provider = "openai";
  s.model = "m";
  s.context_hash = "h";
  s.cache_key = key;
  s.created_at = at;
  s.prompt_tokens = 10;
  s.completion_tokens = 5;
  return s;
}
}  // namespace

TEST_CASE("suggestion store: insert, read back, review lifecycle with who/when/comment") {
  test::TempDir dir;
  auto db = SqliteDb::open(SqliteOptions{dir.file("s.db")});
  REQUIRE(db.has_value());
  SqliteSuggestionStore store(*db);
  auto id = store.insert_suggestion(make("fp1", "k1", 1000));
  REQUIRE(id.has_value());
  auto s = store.suggestion(*id);
  REQUIRE(s.has_value());
  REQUIRE(s->has_value());
  CHECK((*s)->status == "proposed");
  CHECK((*s)->prompt_tokens == 10);

  CHECK(store.review(*id, "apply", "bob", "", 2000).error().code == ErrorCode::conflict);  // not accepted yet
  auto acc = store.review(*id, "accept", "alice", "looks right", 3000);
  REQUIRE(acc.has_value());
  CHECK(acc->status == "accepted");
  CHECK(acc->reviewed_by == "alice");
  CHECK(store.review(*id, "reject", "bob", "", 4000).error().code == ErrorCode::conflict);
  auto applied = store.review(*id, "apply", "carol", "deployed", 5000);
  REQUIRE(applied.has_value());
  auto back = store.suggestion(*id);
  CHECK((*back)->status == "applied");
  CHECK((*back)->reviewed_by == "alice");
  CHECK((*back)->reviewed_at == 3000);
  CHECK((*back)->review_comment == "looks right");
  CHECK((*back)->applied_by == "carol");
  CHECK((*back)->applied_at == 5000);
  CHECK(store.review(999, "accept", "x", "", 1).error().code == ErrorCode::not_found);
  CHECK(store.review(*id, "delete", "x", "", 1).error().code == ErrorCode::bad_input);
  REQUIRE(store.reviewed().has_value());
  CHECK(store.reviewed()->size() == 1);
}

TEST_CASE("suggestion store: the cache never serves a rejected suggestion") {
  test::TempDir dir;
  auto db = SqliteDb::open(SqliteOptions{dir.file("s.db")});
  REQUIRE(db.has_value());
  SqliteSuggestionStore store(*db);
  auto id = *store.insert_suggestion(make("fp1", "k1", 1000));
  CHECK(store.find_cached("k1")->has_value());
  CHECK_FALSE(store.find_cached("k2")->has_value());
  REQUIRE(store.review(id, "reject", "alice", "wrong", 2000).has_value());
  CHECK_FALSE(store.find_cached("k1")->has_value());
  CHECK_FALSE(store.latest_for("fp1")->has_value());
}

TEST_CASE("suggestion store: newest-first cursor pages and filters") {
  test::TempDir dir;
  auto db = SqliteDb::open(SqliteOptions{dir.file("s.db")});
  REQUIRE(db.has_value());
  SqliteSuggestionStore store(*db);
  for (int i = 0; i < 5; ++i)
    REQUIRE(store.insert_suggestion(make(i % 2 ? "odd" : "even", "k", i, i / 10.0)).has_value());
  SuggestionQuery q;
  q.limit = 2;
  auto p1 = store.suggestions(q);
  REQUIRE(p1->size() == 2);
  CHECK((*p1)[0].id > (*p1)[1].id);
  q.before_id = (*p1)[1].id;
  auto p2 = store.suggestions(q);
  REQUIRE(p2->size() == 2);
  CHECK((*p2)[0].id < (*p1)[1].id);
  SuggestionQuery f;
  f.fingerprint_id = "odd";
  CHECK(store.suggestions(f)->size() == 2);
  f.fingerprint_id.clear();
  f.min_confidence = 0.25;
  CHECK(store.suggestions(f)->size() == 2);  // 0.3, 0.4
}

TEST_CASE("suggestion store: budget charges add up per day; attempts keep the raw answer") {
  test::TempDir dir;
  auto db = SqliteDb::open(SqliteOptions{dir.file("s.db")});
  REQUIRE(db.has_value());
  SqliteSuggestionStore store(*db);
  REQUIRE(store.charge("2027-01-15", 1, 100, 0.01).has_value());
  REQUIRE(store.charge("2027-01-15", 1, 50, 0.02).has_value());
  REQUIRE(store.charge("2027-01-16", 1, 7, 0).has_value());
  auto d = store.budget("2027-01-15");
  CHECK(d->calls == 2);
  CHECK(d->tokens == 150);
  CHECK(d->cost_usd == doctest::Approx(0.03));
  CHECK(store.budget("2027-01-17")->calls == 0);
  SuggestionAttempt a;
  a.fingerprint_id = "fp";
  a.ts = 5;
  a.provider = "ollama";
  a.model = "m";
  a.outcome = "failed";
  a.raw = "{\"summary\":\"cut";
  REQUIRE(store.record_attempt(a).has_value());
  auto list = store.attempts("fp", 10);
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].raw == "{\"summary\":\"cut");
}
