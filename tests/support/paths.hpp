#pragma once
// Where the tests find the source tree, ../shared and the built `selfheal`. Forced into every test
// translation unit (-include), so SELFHEAL_SOURCE_DIR etc. read as before but no absolute path sits in
// a compile flag: the same test source compiles to the same object in any clone, and ccache hits.
// The paths themselves are compiled into tests/support/paths.cpp only; SELFHEAL_SOURCE_DIR,
// SELFHEAL_SHARED_DIR and SELFHEAL_BIN in the environment override them.
namespace selfheal::test {
const char* source_dir();
const char* shared_dir();
const char* built_binary();
}  // namespace selfheal::test
