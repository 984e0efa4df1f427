#pragma once
// Where the benchmarks find ../shared: compiled into bench/paths.cpp only, so no absolute path sits in
// the benchmarks' own compile flags (ccache hits across clones). SELFHEAL_SHARED_DIR in the
// environment overrides it.
namespace selfheal::bench {
const char* shared_dir();
}  // namespace selfheal::bench
