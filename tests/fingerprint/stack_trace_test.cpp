// One test per language shape: root cause, frames, in-app flags, generated names.
#include <doctest/doctest.h>

#include "fingerprint/stack_trace.hpp"
#include "tests/fingerprint/test_data.hpp"

namespace fp = selfheal::fingerprint;
using fp::test::fixture;

namespace {
struct Expect {
  const char* file;
  fp::TraceLanguage lang;
  const char* root_type;
  const char* first_app_module;
  const char* first_app_function;
};
}  // namespace

TEST_CASE("every language's trace shape parses to its root cause and first app frame") {
  const Expect table[] = {
      {"traces/java_caused_by.txt", fp::TraceLanguage::java, "java.sql.SQLTransientConnectionException",
       "com.zaxxer.hikari.pool.HikariPool", "createTimeoutException"},
      {"traces/python_chained.txt", fp::TraceLanguage::python, "AttributeError", "invoice", "total"},
      {"traces/go_panic.txt", fp::TraceLanguage::go, "panic", "example.com/shop/cart", "(*Cart).Item"},
      {"traces/node_type_error.txt", fp::TraceLanguage::javascript, "TypeError", "user.js", "renderUser"},
      {"traces/dotnet_inner.txt", fp::TraceLanguage::dotnet, "System.IO.FileNotFoundException",
       "Shop.Storage.OrderStore", "Read"},
      // Ruby's C methods ('Integer#/', `/') print their caller's location: not app frames.
      {"traces/ruby34.txt", fp::TraceLanguage::ruby, "ZeroDivisionError", "cart", "average"},
      {"traces/ruby_old.txt", fp::TraceLanguage::ruby, "ZeroDivisionError", "cart", "average"},
      {"traces/php_uncaught.txt", fp::TraceLanguage::php, "App\\Exception\\NotFound", "App\\Repo", "find"},
  };
  for (const auto& e : table) {
    CAPTURE(e.file);
    fp::ParsedTrace t = fp::parse_stack_trace(fixture(e.file));
    CHECK(t.language == e.lang);
    REQUIRE(t.has_trace());
    REQUIRE_FALSE(t.chain.empty());
    const auto& root = t.chain.back();
    CHECK(root.type == e.root_type);
    const fp::Frame* first_app = nullptr;
    for (const auto& f : root.frames)
      if (f.in_app && !first_app) first_app = &f;
    REQUIRE(first_app != nullptr);
    CHECK(first_app->module == e.first_app_module);
    CHECK(first_app->function == e.first_app_function);
  }
}

TEST_CASE("java: Caused by chain is unwrapped, suppressed blocks and '... N more' are ignored") {
  fp::ParsedTrace t = fp::parse_stack_trace(fixture("traces/java_caused_by.txt"));
  REQUIRE(t.chain.size() == 2);
  CHECK(t.chain[0].type == "java.lang.IllegalStateException");
  CHECK(t.chain[0].value == "could not load order 4711");
  CHECK(t.chain[1].frames.size() == 3);  // the suppressed Repo.close frame is not counted
  // lambda counters and generated accessors are normalised, JDK module prefixes dropped
  CHECK(t.chain[0].frames[1].function == "lambda$refresh$");
  CHECK(t.chain[0].frames[2].module == "java.util.ArrayList");
  CHECK_FALSE(t.chain[0].frames[2].in_app);
  CHECK(t.chain[0].frames[4].module == "jdk.internal.reflect.GeneratedMethodAccessor");
  CHECK(t.chain[0].frames[0].line == 88);
}

TEST_CASE("python: the first printed traceback of a chain is the root cause") {
  fp::ParsedTrace t = fp::parse_stack_trace(fixture("traces/python_chained.txt"));
  REQUIRE(t.chain.size() == 2);
  CHECK(t.chain.back().type == "AttributeError");
  CHECK(t.chain.front().type == "billing.errors.InvoiceError");
  CHECK_FALSE(t.chain.front().frames[0].in_app);  // site-packages
  CHECK(t.chain.front().frames[1].in_app);
}

TEST_CASE("go: stdlib packages are not app code; closures lose their counters") {
  fp::ParsedTrace t = fp::parse_stack_trace(fixture("traces/go_panic.txt"));
  REQUIRE(t.chain.size() == 1);
  CHECK(t.chain[0].value == "runtime error: index out of range [5] with length 3");
  REQUIRE(t.chain[0].frames.size() == 3);
  CHECK(t.chain[0].frames[1].function == "Total.func");
  CHECK(t.chain[0].frames[2].module == "main");
  fp::Frame f;
  f.module = "net/http";
  f.function = "(*conn).serve";
  f.file = "/usr/local/go/src/net/http/server.go";
  CHECK(fp::classify_frame(f, fp::TraceLanguage::go) == fp::FrameKind::library);
}

TEST_CASE("dotnet: inner exception frames come first and belong to the root cause") {
  fp::ParsedTrace t = fp::parse_stack_trace(fixture("traces/dotnet_inner.txt"));
  REQUIRE(t.chain.size() == 2);
  CHECK(t.chain[0].type == "System.InvalidOperationException");
  CHECK(t.chain[0].frames.size() == 2);
  CHECK(t.chain[1].frames.size() == 2);
  CHECK(t.chain[1].frames[1].line == 31);
}

TEST_CASE("frame classification: runtime, framework and test-harness code is not app code") {
  struct Row {
    fp::TraceLanguage lang;
    const char* module;
    const char* file;
    fp::FrameKind kind;
  };
  const Row rows[] = {
      {fp::TraceLanguage::java, "java.util.HashMap", "HashMap.java", fp::FrameKind::library},
      {fp::TraceLanguage::java, "org.junit.Assert", "Assert.java", fp::FrameKind::library},
      {fp::TraceLanguage::java, "com.acme.OrderServiceTest", "OrderServiceTest.java", fp::FrameKind::test},
      {fp::TraceLanguage::java, "com.acme.OrderService", "OrderService.java", fp::FrameKind::app},
      {fp::TraceLanguage::python, "app", "/usr/lib/python3/dist-packages/x/app.py", fp::FrameKind::library},
      {fp::TraceLanguage::python, "test_app", "/srv/tests/test_app.py", fp::FrameKind::test},
      {fp::TraceLanguage::javascript, "layer.js", "/app/node_modules/x/layer.js", fp::FrameKind::library},
      {fp::TraceLanguage::javascript, "a.spec.js", "/app/a.spec.js", fp::FrameKind::test},
      {fp::TraceLanguage::dotnet, "System.Linq.Enumerable", "", fp::FrameKind::library},
      {fp::TraceLanguage::ruby, "metal", "/gems/actionpack/metal.rb", fp::FrameKind::library},
      // Test… / …Spec are ordinary words in app code unless the package, path or file says test.
      {fp::TraceLanguage::java, "com.acme.reviews.TestimonialService", "TestimonialService.java", fp::FrameKind::app},
      {fp::TraceLanguage::java, "com.acme.pricing.DiscountSpec", "DiscountSpec.java", fp::FrameKind::app},
      {fp::TraceLanguage::java, "com.acme.TestDataLoader", "TestDataLoader.java", fp::FrameKind::app},
      {fp::TraceLanguage::java, "com.acme.test.TestOrders", "TestOrders.java", fp::FrameKind::test},
      {fp::TraceLanguage::java, "com.acme.CartSpec", "CartSpec.groovy", fp::FrameKind::test},
      {fp::TraceLanguage::python, "test_helpers", "/srv/app/test_helpers.py", fp::FrameKind::test},
      {fp::TraceLanguage::ruby, "testimonial", "/srv/app/models/testimonial.rb", fp::FrameKind::app},
      {fp::TraceLanguage::ruby, "cart_spec", "/srv/spec/models/cart_spec.rb", fp::FrameKind::test},
  };
  for (const auto& r : rows) {
    fp::Frame f;
    f.module = r.module;
    f.file = r.file;
    CAPTURE(r.module);
    CHECK(fp::classify_frame(f, r.lang) == r.kind);
  }
}

TEST_CASE("generated names are normalised") {
  CHECK(fp::normalize_symbol("lambda$main$0") == "lambda$main$");
  CHECK(fp::normalize_symbol("com.x.Foo$$Lambda$123/0x0000000800c0b000") == "com.x.Foo$$Lambda");
  CHECK(fp::normalize_symbol("com.x.Svc$$EnhancerByCGLIB$$a1b2c3") == "com.x.Svc$$EnhancerBy");
  CHECK(fp::normalize_symbol("sun.reflect.GeneratedMethodAccessor17") == "sun.reflect.GeneratedMethodAccessor");
  CHECK(fp::normalize_symbol("com.x.Outer$1") == "com.x.Outer$");
  CHECK(fp::normalize_symbol("main.main.func2") == "main.main.func");
  CHECK(fp::normalize_symbol("plainName") == "plainName");
}

TEST_CASE("text without a trace has no trace; garbage never crashes the parser") {
  CHECK_FALSE(fp::parse_stack_trace("just a message\nand another line").has_trace());
  CHECK_FALSE(fp::parse_stack_trace("").has_trace());
  std::string junk;
  for (int i = 0; i < 2000; ++i) junk += static_cast<char>((i * 131) % 256);
  (void)fp::parse_stack_trace(junk);
  (void)fp::parse_stack_trace("\tat (\n\tat )(\n  File \"\nCaused by: \n\tat x(\n#1 (: \n\tfrom :in '");
}

TEST_CASE("ruby: a C method frame shares its caller's file:line and is not app code; blocks are") {
  // 3.4: the C frame names its owner; a block and the C iterator that runs it share the line.
  fp::ParsedTrace t = fp::parse_stack_trace(
      "app/a.rb:3:in 'Integer#/': divided by 0 (ZeroDivisionError)\n"
      "\tfrom app/a.rb:3:in 'block in Report#sum'\n"
      "\tfrom app/a.rb:3:in 'Array#each'\n"
      "\tfrom app/a.rb:3:in 'Report#sum'\n"
      "\tfrom app/main.rb:9:in '<main>'");
  REQUIRE(t.chain.size() == 1);
  const auto& k = t.chain[0].kinds;
  REQUIRE(k.size() == 5);
  CHECK(k[0] == fp::FrameKind::library);  // Integer#/
  CHECK(k[1] == fp::FrameKind::app);      // the block body
  CHECK(k[2] == fp::FrameKind::library);  // Array#each
  CHECK(k[3] == fp::FrameKind::app);
  CHECK(t.chain[0].frames[3].function == "sum");
  // Recursion on one line is Ruby code, not a C method.
  t = fp::parse_stack_trace("app/f.rb:1:in `f': stack level too deep (SystemStackError)\n\tfrom app/f.rb:1:in `f'");
  REQUIRE(t.chain.size() == 1);
  CHECK(t.chain[0].kinds[0] == fp::FrameKind::app);
}
