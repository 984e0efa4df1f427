// ingest.syslog[]: the syslog receivers (ingest/syslog_server.hpp). Keys and defaults: the key table
// (app/config_keys_syslog.cpp).
#include <map>
#include <string>

#include "app/config_sections.hpp"

namespace selfheal::app {
namespace {

// A listener key: absent or "" leaves the listener off (port -1). Returns whether one was given.
bool get_listener(ConfigSection& k, std::string_view key, std::string& host, int& port) {
  std::string v;
  if (k.has(key)) k.get(key, v);
  if (v.empty()) {
    k.get(key, v);  // materialises "" in the effective config
    port = -1;
    return false;
  }
  k.get_listen(key, host, port);
  return true;
}

void parse_syslog_source(ConfigSection& k, ingest::SyslogConfig& c) {
  k.allow_only();
  k.get("name", c.name);
  const bool tcp = get_listener(k, "tcp_listen", c.tcp_host, c.tcp_port);
  const bool udp = get_listener(k, "udp_listen", c.udp_host, c.udp_port);
  k.get("max_message_bytes", c.max_message_bytes);
  k.get("max_connections", c.max_connections);
  k.get("max_sd_labels", c.max_sd_labels);
  k.get("max_batch_events", c.max_batch_events);
  k.get("udp_receive_buffer_bytes", c.udp_receive_buffer_bytes);
  k.get("tcp_receive_buffer_bytes", c.tcp_receive_buffer_bytes);
  k.get("multiline", c.multiline);
  if (!valid_source_name(c.name)) k.error("name", "'" + c.name + "' must be 1-64 of [A-Za-z0-9_.-]");
  if (!tcp && !udp)
    k.error("", "set tcp_listen or udp_listen (HOST:PORT), or both: a syslog source needs a listener");
}

}  // namespace

void parse_syslog_sources(ConfigSection& s, std::vector<ingest::SyslogConfig>& out,
                          std::map<std::string, std::string>& seen) {
  std::map<std::string, std::string> listeners;  // "tcp host:port" -> where
  for (auto& k : s.list("syslog")) {
    ingest::SyslogConfig c;
    parse_syslog_source(k, c);
    if (auto [it, inserted] = seen.emplace(c.name, k.where("name")); !inserted)
      k.error("name", "'" + c.name + "' is already used by " + it->second);
    auto same_port = [&](const char* proto, const std::string& host, int port, const char* key) {
      if (port <= 0) return;
      const std::string id = std::string(proto) + " " + host + ":" + std::to_string(port);
      if (auto [it, inserted] = listeners.emplace(id, k.where(key)); !inserted)
        k.error(key, id + " is already a listener at " + it->second);
    };
    same_port("tcp", c.tcp_host, c.tcp_port, "tcp_listen");
    same_port("udp", c.udp_host, c.udp_port, "udp_listen");
    out.push_back(std::move(c));
  }
}

}  // namespace selfheal::app
