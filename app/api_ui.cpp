// The web UI (issue 17), served from files embedded at build time (web/, app/web_assets.hpp):
//   GET /                      the page shell (index.html); the app opens the fingerprint list
//   GET /ui, /ui/{page...}     the same shell: every page has its own URL, the app routes on the client
//   GET /ui/assets/{name}      scripts, styles and the chart library
// These paths are open (app/auth.cpp): they hold no data. Every page reads and writes through the
// JSON API with the token the person gives (kept in sessionStorage, sent as Authorization: Bearer).
#include <httplib.h>

#include "app/hooks.hpp"
#include "app/http_util.hpp"
#include "app/web_assets.hpp"

namespace selfheal::app {
namespace {

const WebAsset* find_asset(std::string_view name) {
  for (const auto& a : web_assets())
    if (a.name == name) return &a;
  return nullptr;
}

void send_asset(const WebAsset& a, const httplib::Request& req, httplib::Response& res) {
  // Same origin only: no inline script, no request to another host (the chart library is local too).
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-cache");  // revalidate: an upgraded binary serves its own UI at once
  res.set_header("ETag", std::string(a.etag));
  if (req.get_header_value("If-None-Match") == a.etag) {
    res.status = 304;
    return;
  }
  res.set_content(a.body.data(), a.body.size(), std::string(a.content_type).c_str());
}

void send_shell(const httplib::Request& req, httplib::Response& res) {
  const WebAsset* shell = find_asset("index.html");
  if (!shell) return json_error(res, 500, "the web UI was not embedded in this build");
  send_asset(*shell, req, res);
}

}  // namespace

void mount_ui_routes(httplib::Server& svr, AppContext&) {
  svr.Get("/", send_shell);
  svr.Get("/ui", send_shell);
  svr.Get(R"(/ui/assets/(.+))", [](const httplib::Request& req, httplib::Response& res) {
    const WebAsset* a = find_asset(req.matches[1].str());
    if (!a) return json_error(res, 404, "no such UI asset");
    send_asset(*a, req, res);
  });
  svr.Get(R"(/ui/.*)", send_shell);
}

}  // namespace selfheal::app
