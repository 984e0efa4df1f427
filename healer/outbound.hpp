#pragma once
// What leaves the machine from the healer (notify channels, webhooks, HTTP action bodies, approval
// requests) passes through the same Redactor as the LLM prompt (schema/redact.hpp). Pure.
#include "healer/actions/notify.hpp"
#include "healer/plan.hpp"
#include "schema/redact.hpp"

namespace selfheal::healer {

/// Redacts every field value except the identity fields that pass the argv check
/// (fingerprint_id, service, host, strategy, target, action, level: they name what to act on, and
/// an http action may need the real host) and the numbers (count, first_seen, last_seen).
void redact_fields(Fields& fields, const Redactor& redactor);
/// The notification with its title, text, fields (as redact_fields) and extra facts redacted.
Notification redacted(Notification n, const Redactor& redactor);

}  // namespace selfheal::healer
