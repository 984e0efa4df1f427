#include "app/human_output.hpp"

namespace selfheal::app {

nlohmann::json terminal_safe_json(const nlohmann::json& j) {
  if (j.is_string()) return escape_control(j.get_ref<const std::string&>());
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(terminal_safe_json(v));
    return out;
  }
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[escape_control(it.key())] = terminal_safe_json(it.value());
    return out;
  }
  return j;
}

std::string name_error(std::string_view field, std::string_view value) {
  if (printable_name(value)) return {};
  return std::string(field) + " must not contain control characters, newlines or invalid UTF-8 (got \"" +
         escape_control(value.substr(0, 64)) + "\")";
}

std::string terminal_safe(std::string_view text, Newlines newlines) {
  return escape_control(text, newlines);
}

}  // namespace selfheal::app
