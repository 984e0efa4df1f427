#pragma once
// exec: runs a pre-configured argv with fork/execve. No shell, no PATH lookup (argv[0] is absolute),
// an environment built only from the allow-list, a timeout that kills the whole process group, and
// bounded capture of stdout+stderr.
//
// Substitution: an argv element that is exactly "{name}" (name one of fingerprint_id, service, host,
// strategy, target, action, level) is replaced by that field's value, which must match
// [A-Za-z0-9._:-]{1,128} and must not start with '-' (a service named "--force" would otherwise
// become an option); otherwise nothing runs. Log text (templates, samples) is never a field
// that argv may name, so it cannot reach argv or a shell.
#include <stop_token>
#include <string>
#include <vector>

#include "healer/action.hpp"
#include "healer/config.hpp"

namespace selfheal::healer {

/// The argv that would run. Pure. Errors: bad_input (unknown or unsafe field value).
Result<std::vector<std::string>> build_argv(const ExecSpec& spec, const Fields& fields);

/// Runs the command. Errors: bad_input from build_argv (nothing run). A command that cannot be
/// started is an outcome with success=false, transient=true.
Result<ActionOutcome> run_exec(const ExecSpec& spec, const Fields& fields, std::stop_token stop = {});

}  // namespace selfheal::healer
