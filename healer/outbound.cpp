#include "healer/outbound.hpp"

#include <algorithm>

#include "healer/strategy.hpp"

namespace selfheal::healer {

namespace {

bool kept_verbatim(const std::string& name, const std::string& value) {
  if (is_argv_field(name)) return is_safe_field_value(value);
  if (name == "count" || name == "first_seen" || name == "last_seen" || name == "failures")
    return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  return false;
}

}  // namespace

void redact_fields(Fields& fields, const Redactor& redactor) {
  for (auto& [name, value] : fields)
    if (!value.empty() && !kept_verbatim(name, value)) value = redactor.redact(value);
}

Notification redacted(Notification n, const Redactor& redactor) {
  n.title = redactor.redact(n.title);
  n.text = redactor.redact(n.text);
  redact_fields(n.fields, redactor);
  for (auto& [name, value] : n.extra) value = redactor.redact(value);
  return n;
}

}  // namespace selfheal::healer
