// http: a configured request whose JSON body is made of named fields (healer/actions/http_action.hpp).
#include "healer/actions/builtin.hpp"

namespace selfheal::healer {

std::unique_ptr<ActionFactory> http_action_factory() {
  return delivery_action_factory("http", {{"url", ConfigKeyKind::text, true},
                                          {"method", ConfigKeyKind::text},
                                          {"timeout_ms", ConfigKeyKind::integer},
                                          {"headers_env", ConfigKeyKind::mapping},
                                          {"body_fields", ConfigKeyKind::text_list},
                                          {"body", ConfigKeyKind::mapping},
                                          {"ca_file", ConfigKeyKind::text}});
}

}  // namespace selfheal::healer
