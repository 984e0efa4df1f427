// TLS (issue 15, item 3): `selfheal serve` over HTTPS with a throwaway CA made by the openssl CLI in a
// temp dir; the npm winston-loki client pushes over https:// with the CA file; plaintext and TLS 1.1
// are refused; SIGHUP reloads the certificate. Outbound: a webhook (HTTP action and notify channel) to
// an HTTPS server whose certificate is not trusted is refused and recorded; with ca_file it is sent.
#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/healer_support.hpp"
#include "tests/support/support.hpp"

using namespace selfheal;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = test::run(argv, "", {}, 60s);
  REQUIRE_MESSAGE(r.exit_code == 0, "openssl " << args[0] << ": " << r.err);
}

/// A CA (<name>-ca.pem/.key) and a server certificate it signs for 127.0.0.1 and localhost.
struct Pki {
  std::string ca, ca_key, cert, key;
  Pki(const test::TempDir& dir, const std::string& name) {
    ca = dir.file(name + "-ca.pem");
    ca_key = dir.file(name + "-ca.key");
    cert = dir.file(name + "-server.pem");
    key = dir.file(name + "-server.key");
    const std::string csr = dir.file(name + "-server.csr"), ext = dir.file(name + "-ext.cnf");
    openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj",
             "/CN=selfheal test CA " + name});
    openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost"});
    test::write_file(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    openssl({"x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
             "-extfile", ext});
  }
};

std::string https_url(int port) { return "https://127.0.0.1:" + std::to_string(port); }

/// GET over https verifying against `ca` ("" = the system's CAs). Status 0 when the connection or the
/// handshake failed.
int https_get(int port, const std::string& path, const std::string& ca, const std::string& token = "") {
  httplib::Client c(https_url(port));
  c.enable_server_certificate_verification(true);
  if (!ca.empty()) c.set_ca_cert_path(ca.c_str());
  c.set_connection_timeout(5);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto r = c.Get(path, h);
  return r ? r->status : 0;
}

json https_json(int port, const std::string& path, const std::string& ca, const std::string& token) {
  httplib::Client c(https_url(port));
  c.set_ca_cert_path(ca.c_str());
  auto r = c.Get(path, httplib::Headers{{"Authorization", "Bearer " + token}});
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  return json::parse(r->body);
}

test::RunResult s_client(int port, const std::string& version, const std::string& ca) {
  // SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all, so a refusal can only come from the server.
  return test::run({"/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), version, "-CAfile",
                    ca, "-cipher", "DEFAULT@SECLEVEL=0", "-verify_return_error"},
                   "", {}, 20s);
}

}  // namespace

TEST_CASE("serve over TLS: winston-loki pushes 10,000 lines to https:// with a CA file; plaintext and TLS 1.1 are refused; SIGHUP reloads the certificate") {
  const std::string npm = std::string(SELFHEAL_SOURCE_DIR) + "/tests/npm/";
  REQUIRE_MESSAGE(std::filesystem::exists(npm + "node_modules/winston-loki"),
                  "run scripts/install-deps.sh (npm install in tests/npm) first");
  test::TempDir dir;
  Pki first(dir, "first"), second(dir, "second");
  // The served files are copies, so the reload can swap them.
  const std::string cert = dir.file("tls.pem"), key = dir.file("tls.key");
  std::filesystem::copy_file(first.cert, cert);
  std::filesystem::copy_file(first.key, key);
  const std::string cfg = dir.file("c.yaml");
  test::write_file(cfg, "server:\n  tls: {cert_file: " + cert + ", key_file: " + key + "}\n"
                        "api:\n  tokens:\n"
                        "    - {name: shipper, role: ingest, token_env: IT_TLS_SHIP}\n"
                        "    - {name: admin, role: admin, token_env: IT_TLS_ADMIN}\n");
  const std::map<std::string, std::string> env = {{"IT_TLS_SHIP", "ship-tls-secret"}, {"IT_TLS_ADMIN", "admin-tls-secret"}};
  test::ServeProcess serve(dir.file("data"), cfg, env);
  const int port = serve.port();
  REQUIRE(test::wait_until([&] { return https_get(port, "/healthz", first.ca) == 200; }));
  CHECK(serve.log().find("TLS enabled. min_version=1.2") != std::string::npos);

  // 10,000 lines from the real npm client over https://, verified with the CA file, authenticated the
  // way Promtail's basic_auth does (password = the token).
  auto w = test::run({"/usr/bin/env", "node", npm + "push_winston.js", https_url(port), "10000", "--ca", first.ca,
                      "--basic-auth", "promtail:ship-tls-secret"},
                     {}, {}, 300s);
  CHECK_MESSAGE(w.exit_code == 0, w.out << w.err);
  std::int64_t lines = 0;
  REQUIRE(test::wait_until([&] {
    lines = https_json(port, "/api/v1/stats", first.ca, "admin-tls-secret")["totals"]["lines"].get<std::int64_t>();
    return lines == 10'000;
  }, 30s));
  CHECK(lines == 10'000);
  MESSAGE("winston-loki over https: " << lines << " of 10000 lines counted");
  // Without the CA the same client refuses the server (nothing is sent in plaintext instead).
  auto no_ca = test::run({"/usr/bin/env", "node", npm + "push_winston.js", https_url(port), "10", "--basic-auth",
                          "promtail:ship-tls-secret"},
                         {}, {}, 60s);
  CHECK(no_ca.exit_code != 0);

  // Plaintext HTTP to the TLS port gets no HTTP answer.
  auto plain = test::http_get("http://127.0.0.1:" + std::to_string(port), "/healthz");
  CHECK(plain.status == 0);
  // A client that does not trust the CA refuses the server.
  CHECK(https_get(port, "/healthz", second.ca) == 0);

  // TLS 1.2 handshakes and verifies; TLS 1.1 is refused by the server.
  auto v12 = s_client(port, "-tls1_2", first.ca);
  CHECK_MESSAGE(v12.exit_code == 0, v12.out << v12.err);
  CHECK(v12.out.find("Verify return code: 0 (ok)") != std::string::npos);
  auto v11 = s_client(port, "-tls1_1", first.ca);
  CAPTURE(v11.out);
  CAPTURE(v11.err);
  CHECK(v11.exit_code != 0);
  CHECK(v11.err.find("alert protocol version") != std::string::npos);
  CHECK(v11.out.find("BEGIN CERTIFICATE") == std::string::npos);

  // SIGHUP: the files now hold the second CA's certificate; new handshakes present it.
  std::filesystem::copy_file(second.cert, cert, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(second.key, key, std::filesystem::copy_options::overwrite_existing);
  CHECK(https_get(port, "/healthz", second.ca) == 0);  // not before the signal
  REQUIRE(::kill(serve.pid(), SIGHUP) == 0);
  CHECK(test::wait_until([&] { return https_get(port, "/healthz", second.ca) == 200; }, 10s));
  CHECK(https_get(port, "/healthz", first.ca) == 0);
  CHECK(serve.log().find("TLS certificate reloaded") != std::string::npos);
  // A reload that fails (a key that does not match) keeps the pair in use.
  std::filesystem::copy_file(first.key, key, std::filesystem::copy_options::overwrite_existing);
  REQUIRE(::kill(serve.pid(), SIGHUP) == 0);
  CHECK(test::wait_until([&] { return serve.log().find("TLS certificate not reloaded") != std::string::npos; }, 10s));
  CHECK(https_get(port, "/healthz", second.ca) == 200);
  CHECK(serve.running());
  CHECK(serve.stop() == 0);
}

TEST_CASE("the CLI reaches a TLS server with SELFHEAL_CA_FILE and its token; a config without the key file is refused") {
  test::TempDir dir;
  Pki pki(dir, "cli");
  const std::string cfg = dir.file("c.yaml");
  test::write_file(cfg, "server:\n  tls: {cert_file: " + pki.cert + ", key_file: " + pki.key + "}\n"
                        "api:\n  tokens: [{name: vera, role: viewer, token_env: IT_CLI_VIEW}]\n");
  test::ServeProcess serve(dir.file("data"), cfg, {{"IT_CLI_VIEW", "view-cli-secret"}});
  REQUIRE(test::wait_until([&] { return https_get(serve.port(), "/healthz", pki.ca) == 200; }));
  auto top = test::run({test::selfheal_binary(), "top", "--server", https_url(serve.port()), "--json"}, "",
                       {{"SELFHEAL_CA_FILE", pki.ca}, {"SELFHEAL_TOKEN", "view-cli-secret"}});
  CHECK_MESSAGE(top.exit_code == 0, top.out << top.err);
  auto untrusted = test::run({test::selfheal_binary(), "top", "--server", https_url(serve.port()), "--json"}, "",
                             {{"SELFHEAL_CA_FILE", ""}, {"SELFHEAL_TOKEN", "view-cli-secret"}});
  CHECK(untrusted.exit_code != 0);
  // Issue 19: every command finds the server, the token and the CA the same way.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"approvals", "--json"}, {"review", "list", "--json"}, {"dead-letters", "list", "--json"}, {"rules", "--json"}}) {
    CAPTURE(args[0]);
    std::vector<std::string> argv = {test::selfheal_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto ok = test::run(argv, "", {{"SELFHEAL_SERVER", https_url(serve.port())}, {"SELFHEAL_CA_FILE", pki.ca},
                                   {"SELFHEAL_TOKEN", "view-cli-secret"}});
    CHECK_MESSAGE(ok.exit_code == 0, ok.out << ok.err);
    auto refused = test::run(argv, "", {{"SELFHEAL_SERVER", https_url(serve.port())}, {"SELFHEAL_CA_FILE", ""},
                                        {"SELFHEAL_TOKEN", "view-cli-secret"}});
    CHECK(refused.exit_code != 0);
  }

  test::write_file(cfg, "server:\n  tls: {cert_file: " + pki.cert + "}\n");
  auto half = test::run({test::selfheal_binary(), "config", "check", "--config", cfg});
  CHECK(half.exit_code == 2);
  CHECK(half.err.find("key_file") != std::string::npos);
}

TEST_CASE("outbound TLS: a webhook to an HTTPS server with an untrusted certificate is refused and recorded; with ca_file it is sent") {
  test::TempDir dir;
  Pki pki(dir, "hook");
  httplib::SSLServer hook(pki.cert.c_str(), pki.key.c_str());
  REQUIRE(hook.is_valid());
  std::mutex mu;
  std::vector<std::string> paths;
  hook.Post(".*", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(mu);
    paths.push_back(req.path);
    res.set_content("{}", "application/json");
  });
  const int hook_port = hook.bind_to_any_port("127.0.0.1");
  std::thread th([&] { hook.listen_after_bind(); });
  REQUIRE(test::wait_until([&] { return hook.is_running(); }));
  auto received = [&] {
    std::lock_guard l(mu);
    return paths;
  };
  const std::string url = https_url(hook_port);
  const std::string cfg = dir.file("c.yaml");
  test::write_file(cfg, healer_it::header() +
                            "  notify:\n"
                            "    channels:\n"
                            "      - {name: untrusted, url: '" + url + "/notify-untrusted'}\n"
                            "      - {name: trusted, url: '" + url + "/notify-trusted', ca_file: " + pki.ca + "}\n"
                            "  strategies:\n"
                            "    - name: http-untrusted\n"
                            "      match: {service: a, message_regex: 'disk full'}\n"
                            "      actions: [{type: http, url: '" + url + "/heal-untrusted', body_fields: [service]}]\n"
                            "    - name: http-trusted\n"
                            "      match: {service: b, message_regex: 'disk full'}\n"
                            "      actions: [{type: http, url: '" + url + "/heal-trusted', body_fields: [service], ca_file: " + pki.ca + "}]\n"
                            "    - name: notify-untrusted\n"
                            "      match: {service: c, message_regex: 'disk full'}\n"
                            "      actions: [{type: notify, level: critical, channels: [untrusted]}]\n"
                            "    - name: notify-trusted\n"
                            "      match: {service: d, message_regex: 'disk full'}\n"
                            "      actions: [{type: notify, level: critical, channels: [trusted]}]\n");
  test::ServeProcess serve(dir.file("data"), cfg);
  for (const char* s : {"a", "b", "c", "d"}) healer_it::push(serve, s, "ERROR disk full on /var", 5);

  auto rows_of = [&](const std::string& strategy) { return healer_it::runs(serve, "&strategy=" + strategy + "&decision=ran"); };
  REQUIRE(test::wait_until([&] {
    for (const char* s : {"http-untrusted", "http-trusted", "notify-untrusted", "notify-trusted"}) {
      auto rows = rows_of(s);
      if (rows.empty() || rows[0]["outcome"] == "running") return false;
    }
    return true;
  }, 30s));
  for (const char* s : {"http-untrusted", "notify-untrusted"}) {
    const auto row = rows_of(s)[0];
    CAPTURE(row.dump());
    CHECK(row["outcome"] != "success");
    CHECK(row["error"].get<std::string>().find("certificate") != std::string::npos);
    MESSAGE(std::string(s) << " recorded: " << row["outcome"].get<std::string>() << ": " << row["error"].get<std::string>());
  }
  for (const char* s : {"http-trusted", "notify-trusted"}) {
    const auto row = rows_of(s)[0];
    CAPTURE(row.dump());
    CHECK(row["outcome"] == "success");
  }
  const auto got = received();
  CHECK(std::count(got.begin(), got.end(), "/heal-trusted") >= 1);
  CHECK(std::count(got.begin(), got.end(), "/notify-trusted") >= 1);
  CHECK(std::count(got.begin(), got.end(), "/heal-untrusted") == 0);
  CHECK(std::count(got.begin(), got.end(), "/notify-untrusted") == 0);
  CHECK(serve.stop() == 0);
  hook.stop();
  th.join();
}
