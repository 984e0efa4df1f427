#pragma once
// Secrets planted in log lines by the redaction tests (unit and integration): every kind the
// redactor knows, in the shapes logs really carry them, plus the three that leaked in issue 15.
// `secret` is the text that must never appear in anything that leaves the machine.
#include <string>
#include <vector>

namespace selfheal::testing {

struct Planted {
  const char* kind;
  std::string text;    // the line a log would carry
  std::string secret;  // what must never survive
};

inline std::vector<Planted> planted_secrets() {
  return {
      {"aws_access_key", "boto: using key AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"},
      {"aws_secret_key", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok",
       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
      {"github_token", "clone failed with ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 now",
       "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"},
      {"github_token", "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz rejected",
       "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"},
      {"slack_token", "slack post failed token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
       "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp"},
      {"jwt",
       "session "
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U "
       "expired",
       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
      {"bearer", "upstream said 401 for Authorization: Bearer s3cr3tT0kenValue42xyz", "s3cr3tT0kenValue42xyz"},
      {"secret_value", "login failed password=hunter2hunter user=bob", "hunter2hunter"},
      {"secret_value", "config {\"secret\": \"p4ssphrase-xyz\"} loaded", "p4ssphrase-xyz"},
      {"secret_value", "GET /cb?token=abc123tokenvalue&x=1 500", "abc123tokenvalue"},
      {"secret_value", "connect failed DB_PASSWORD=Pr0dPassw0rd! host=db", "Pr0dPassw0rd!"},
      {"secret_value", "header x-api-key: k3y-v4lue-123 rejected", "k3y-v4lue-123"},
      {"private_key",
       "key dump -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAzQ8planted\nabcdef==\n-----END RSA PRIVATE KEY----- "
       "end",
       "MIIEowIBAAKCAQEAzQ8planted"},
      {"email", "mail to jane.doe@example.com bounced", "jane.doe@example.com"},
      {"credit_card", "charge declined for card 4111 1111 1111 1111 amount 3", "4111 1111 1111 1111"},
      {"credit_card", "charge declined for card 5500-0000-0000-0004", "5500-0000-0000-0004"},
      {"ipv4", "connect to 10.20.30.40:5432 refused", "10.20.30.40"},
      {"ipv6", "peer 2001:db8:85a3::8a2e:370:7334 reset", "2001:db8:85a3::8a2e:370:7334"},
      {"url_credentials", "dsn postgres://app:Sup3rS3cret@db/prod failed", "Sup3rS3cret"},
      {"api_key", "openai key sk-proj-abcdefghijklmnopqrstuvwxyz123456 invalid",
       "sk-proj-abcdefghijklmnopqrstuvwxyz123456"},
      // Issue 15: these reached the LLM before.
      {"secret_value", "psql: connection failed, env PGPASSWORD=abc123xyz PGUSER=app", "abc123xyz"},
      {"secret_value", "s3 upload denied: aws secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY for bucket logs",
       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
      {"cookie", "rejected request cookie session=9f86d081884c7d659a2feaa0c55ad015 path=/cart",
       "9f86d081884c7d659a2feaa0c55ad015"},
  };
}

}  // namespace selfheal::testing
