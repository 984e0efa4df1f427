// exec: a pre-configured argv, no shell (healer/actions/exec_action.hpp does the fork/execve).
#include "healer/actions/builtin.hpp"

namespace selfheal::healer {

std::unique_ptr<ActionFactory> exec_action_factory() {
  return delivery_action_factory("exec", {{"argv", ConfigKeyKind::text_list, true},
                                          {"timeout_ms", ConfigKeyKind::integer},
                                          {"env_allow", ConfigKeyKind::text_list},
                                          {"max_output_bytes", ConfigKeyKind::integer}});
}

}  // namespace selfheal::healer
