// Key table rows of ingest.syslog[] (parsed in app/config_syslog.cpp).
#include "app/config_key_rows.hpp"

namespace selfheal::app {

void syslog_keys(Rows& r) {
  r.in("ingest").items("syslog", "syslog receivers: RFC 5424 / RFC 3164 over TCP (RFC 6587 framing) and UDP");
  r.in("ingest.syslog[]").str("name", "syslog", "source name, unique across sources");
  r.listen("tcp_listen", "", "HOST:PORT of the TCP listener (octet-counting or LF framing); \"\": off");
  r.listen("udp_listen", "", "HOST:PORT of the UDP listener (one message per datagram; lossy); \"\": off");
  r.integer("max_message_bytes", 64LL * 1024, 480, 16.0 * 1024 * 1024, "bytes",
            "larger messages become dead letters");
  r.integer("max_connections", 512, 1, 65'536, "connections", "TCP connections beyond wait in the backlog");
  r.integer("max_sd_labels", 16, 0, 256, "labels", "structured-data params kept as labels per message");
  r.integer("max_batch_events", 5'000, 1, 1'000'000, "events", "events per batch handed to the pipeline");
  r.integer("udp_receive_buffer_bytes", 8LL * 1024 * 1024, 4096, 1073741824.0, "bytes",
            "SO_RCVBUF asked for the UDP socket (the kernel caps it at net.core.rmem_max)");
  r.integer("tcp_receive_buffer_bytes", 256LL * 1024, 0, 1073741824.0, "bytes",
            "SO_RCVBUF of TCP connections: what a crash can lose unread; 0: the kernel's autotuning");
  r.flag("multiline", true, "stitch messages per (host, app-name, procid) stream");
}

}  // namespace selfheal::app
