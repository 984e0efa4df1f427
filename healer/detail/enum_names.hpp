#pragma once
// The names of an enum's values, written once as a table and read both ways (to_string and
// parse). Internal to healer/.
#include <span>
#include <string_view>

namespace selfheal::healer::detail {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

/// The name of `e` in `names`, or `fallback` when the table lacks it.
template <class E>
constexpr std::string_view name_of(std::span<const EnumName<E>> names, E e, std::string_view fallback) {
  for (const auto& n : names)
    if (n.value == e) return n.name;
  return fallback;
}

/// The value named `s` in `names`, or `fallback` when no entry has that name.
template <class E>
constexpr E value_of(std::span<const EnumName<E>> names, std::string_view s, E fallback) {
  for (const auto& n : names)
    if (n.name == s) return n.value;
  return fallback;
}

}  // namespace selfheal::healer::detail
