// Fingerprint query and lifecycle API (issue 6):
//   GET  /api/v1/fingerprints            list (filters service, status, severity, since, q; sort count|last_seen|rate;
//                                        cursor pagination)
//   GET  /api/v1/fingerprints/{id}       detail with series, samples, values, explain
//   POST /api/v1/fingerprints/{id}/{resolve,unresolve,ignore,merge,unmerge}   (operator token; actor: its name)
//   GET  /api/v1/stats                   totals per source and service
//   GET  /api/v1/audit                   who changed what, when (subject=ID: that fingerprint's, newest first)
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "app/fingerprint_views.hpp"
#include "app/fingerprinting.hpp"
#include "app/hooks.hpp"
#include "app/http_util.hpp"
#include "app/store_admin.hpp"
#include "schema/time_format.hpp"

namespace selfheal::app {
namespace {
using nlohmann::json;

// Body of a write request: optional JSON object. The actor is the token's name (a "by" field, which
// older clients send, is accepted and ignored).
std::optional<json> write_body(const AppContext& ctx, const httplib::Request& req, httplib::Response& res,
                               std::string& actor) {
  json body = json::object();
  if (!req.body.empty()) {
    if (req.body.size() > 64 * 1024) {
      json_error(res, 413, "request body over 64 KiB");
      return std::nullopt;
    }
    body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      json_error(res, 400, "body must be a JSON object");
      return std::nullopt;
    }
  }
  actor = request_actor(ctx, req);
  return body;
}
}  // namespace

void mount_fingerprint_routes(httplib::Server& svr, AppContext& ctx) {
  svr.Get("/api/v1/stats", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto stats = ctx.store.source_stats();
    if (!stats) return send_error(res, stats.error());
    json arr = json::array();
    std::int64_t lines = 0, events = 0, kept = 0;
    json by_source = json::object();
    for (const auto& s : *stats) {
      arr.push_back({{"source", s.source}, {"service", s.service}, {"lines", s.lines}, {"events", s.events},
                     {"kept", s.kept}});
      lines += s.lines;
      events += s.events;
      kept += s.kept;
      auto& src = by_source[s.source];
      if (src.is_null()) src = {{"lines", 0}, {"events", 0}, {"kept", 0}};
      src["lines"] = src["lines"].get<std::int64_t>() + s.lines;
      src["events"] = src["events"].get<std::int64_t>() + s.events;
      src["kept"] = src["kept"].get<std::int64_t>() + s.kept;
    }
    auto fps = ctx.store.fingerprint_count();
    auto dl = ctx.store.dead_letter_count();
    send_json(res, {{"totals", {{"lines", lines}, {"events", events}, {"kept", kept}}},
                    {"fingerprints", fps ? *fps : 0},
                    {"dead_letters", dl ? *dl : 0},
                    {"by_source", by_source},
                    {"by_source_service", arr}});
  });

  svr.Get("/api/v1/fingerprints", [&ctx](const httplib::Request& req, httplib::Response& res) {
    std::multimap<std::string, std::string> params(req.params.begin(), req.params.end());
    auto q = parse_list_params(params, ctx.clock.now_ms());
    if (!q) return json_error(res, 400, q.error().message);
    auto j = list_json(ctx.store, *q, ctx.config.stats);
    if (!j) return send_error(res, j.error());
    send_json(res, *j);
  });

  svr.Get(R"(/api/v1/fingerprints/([^/]+))", [&ctx](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    if (!valid_fingerprint_id(id)) return json_error(res, 400, "invalid fingerprint id");
    auto j = detail_json(ctx.store, ctx.fingerprinting.get(), id, ctx.clock.now_ms(), ctx.config.stats);
    if (!j) return send_error(res, j.error());
    if (!*j) return json_error(res, 404, "fingerprint " + id + " not found");
    send_json(res, **j);
  });

  svr.Post(R"(/api/v1/fingerprints/([^/]+)/(resolve|unresolve|ignore|merge|unmerge))", [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!require_token(ctx, req, res)) return;
    const std::string id = req.matches[1];
    const std::string action = req.matches[2];
    if (!valid_fingerprint_id(id)) return json_error(res, 400, "invalid fingerprint id");
    std::string actor;
    auto body = write_body(ctx, req, res, actor);
    if (!body) return;
    LifecycleStore& lc = ctx.stores.lifecycle();
    Result<void> r;
    if (action == "resolve") {
      r = lc.resolve(id, actor);
    } else if (action == "unresolve") {
      r = lc.unresolve(id, actor);
    } else if (action == "ignore") {
      IgnoreSpec spec;
      const json& b = *body;
      for (auto it = b.begin(); it != b.end(); ++it)
        if (it.key() != "by" && it.key() != "for" && it.key() != "until" && it.key() != "more_events" &&
            it.key() != "rate_per_min")
          return json_error(res, 400, "unknown field '" + it.key() + "'; accepted: for, until, more_events, rate_per_min, by");
      if (b.contains("for")) {
        auto d = b["for"].is_string() ? parse_duration_ms(b["for"].get<std::string>()) : std::nullopt;
        if (!d) return json_error(res, 400, "for: a duration like 30m, 2h, 7d");
        spec.until_ms = ctx.clock.now_ms() + *d;
      }
      if (b.contains("until")) {
        auto t = b["until"].is_string() ? parse_time(b["until"].get<std::string>()) : std::nullopt;
        if (!t) return json_error(res, 400, "until: an RFC 3339 time");
        spec.until_ms = *t;
      }
      if (b.contains("more_events")) {
        if (!b["more_events"].is_number_integer() || b["more_events"].get<std::int64_t>() < 1)
          return json_error(res, 400, "more_events: a positive integer");
        spec.more_events = b["more_events"].get<std::int64_t>();
      }
      if (b.contains("rate_per_min")) {
        if (!b["rate_per_min"].is_number_integer() || b["rate_per_min"].get<std::int64_t>() < 1)
          return json_error(res, 400, "rate_per_min: a positive integer");
        spec.rate_per_min = b["rate_per_min"].get<std::int64_t>();
      }
      r = lc.ignore(id, spec, actor);
    } else if (action == "merge") {
      const json& b = *body;
      if (!b.contains("into") || !b["into"].is_string() || !valid_fingerprint_id(b["into"].get<std::string>()))
        return json_error(res, 400, "into: the id of the fingerprint to merge into");
      r = lc.merge(id, b["into"].get<std::string>(), actor);
      if (r && ctx.fingerprinting) load_merges(lc, *ctx.fingerprinting);
    } else if (action == "unmerge") {
      r = lc.unmerge(id, actor);
      if (r && ctx.fingerprinting) load_merges(lc, *ctx.fingerprinting);
    } else {
      return json_error(res, 404, "unknown action '" + action + "'; accepted: resolve, unresolve, ignore, merge, unmerge");
    }
    if (!r) return send_error(res, r.error());
    auto s = ctx.store.fingerprint(id);
    json out = {{"id", id}, {"action", action}, {"by", actor}};
    if (s && *s) {
      out["status"] = (*s)->status;
      if (!(*s)->merged_into.empty()) out["merged_into"] = (*s)->merged_into;
    }
    send_json(res, out);
  });

  svr.Get("/api/v1/audit", [&ctx](const httplib::Request& req, httplib::Response& res) {
    LifecycleStore& lc = ctx.stores.lifecycle();
    auto entry_json = [](const AuditEntry& e) {
      return json{{"id", e.id},         {"ts", format_rfc3339(e.ts)}, {"actor", e.actor},
                  {"action", e.action}, {"subject", e.subject},       {"detail", e.detail}};
    };
    if (req.has_param("subject")) {  // one fingerprint's trail, newest first (the web UI's detail page)
      const std::string subject = req.get_param_value("subject");
      if (!valid_fingerprint_id(subject)) return json_error(res, 400, "subject: a fingerprint id");
      auto entries = lc.audit_of(subject, 100);
      if (!entries) return send_error(res, entries.error());
      json arr = json::array();
      for (const auto& e : *entries) arr.push_back(entry_json(e));
      return send_json(res, {{"entries", arr}, {"next_cursor", nullptr}});
    }
    QueryParams p(req);
    const std::int64_t after = p.integer("cursor", 0, 0, INT64_MAX);
    if (p.failed(res)) return;
    auto entries = lc.audit(after, 100);
    if (!entries) return send_error(res, entries.error());
    json arr = json::array();
    for (const auto& e : *entries) arr.push_back(entry_json(e));
    send_json(res, {{"entries", arr},
                    {"next_cursor", entries->size() == 100 ? json(std::to_string(entries->back().id)) : json(nullptr)}});
  });
}

}  // namespace selfheal::app
