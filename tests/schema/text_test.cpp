#include <doctest/doctest.h>

#include <string>

#include "schema/text.hpp"

using namespace selfheal;

TEST_CASE("escape_control makes every terminal control visible and leaves text alone") {
  struct Row {
    std::string in, out;
  };
  const Row rows[] = {
      {"plain text, ünïcödé and 日本語 stay", "plain text, ünïcödé and 日本語 stay"},
      {"clear \x1b[2J screen", "clear \\x1b[2J screen"},
      {"link \x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "link \\x1b]8;;http://evil\\x1b\\click\\x1b]8;;\\x1b\\"},
      {"over\rwrite", "over\\rwrite"},
      {"two\nlines\tand tab", "two\\nlines\\tand tab"},
      {"bell\x07 nul", "bell\\x07 nul"},
      {"del\x7f", "del\\x7f"},
      {"c1 csi \xc2\x9b" "31m", "c1 csi \\u009b31m"},             // U+009B, the 8-bit CSI
      {"raw c1 byte \x9b" "31m", "raw c1 byte \\x9b31m"},           // not UTF-8: shown as a byte
      {"bidi \xe2\x80\xae" "gnp.exe", "bidi \\u202egnp.exe"},     // U+202E right-to-left override
      {"cut \xe2\x82", "cut \\xe2\\x82"},                          // a sequence cut short
      {"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.in);
    CHECK(escape_control(r.in) == r.out);
  }
  CHECK(escape_control(std::string("a\0b", 3)) == "a\\x00b");
}

TEST_CASE("a multi-line block keeps its newlines and tabs, never a carriage return or an ESC") {
  CHECK(escape_control("at A\n\tat B\r\x1b[1A", Newlines::keep) == "at A\n\tat B\\r\\x1b[1A");
}

TEST_CASE("to_valid_utf8 replaces each bad byte with U+FFFD and keeps valid text unchanged") {
  CHECK(valid_utf8("héllo ✓ 😀"));
  CHECK(to_valid_utf8("héllo ✓ 😀") == "héllo ✓ 😀");
  CHECK_FALSE(valid_utf8("bad \xff byte"));
  CHECK(to_valid_utf8("bad \xff byte") == "bad \xEF\xBF\xBD byte");
  CHECK(to_valid_utf8("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate is not UTF-8
  CHECK(valid_utf8(to_valid_utf8("\xc3\x28 \xf8\xa1\xa1\xa1\xa1 \xe2\x28\xa1")));
}

TEST_CASE("printable_name refuses control characters, newlines and invalid UTF-8") {
  CHECK(printable_name("restart-api"));
  CHECK(printable_name("Jürgen Müller"));
  CHECK_FALSE(printable_name("ops\nadmin"));
  CHECK_FALSE(printable_name("evil\x1b[2J"));
  CHECK_FALSE(printable_name("tab\there"));
  CHECK_FALSE(printable_name("bad\xff"));
  CHECK_FALSE(printable_name("rtl\xe2\x80\xae"));
}
