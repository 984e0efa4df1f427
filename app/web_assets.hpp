#pragma once
// The web UI's files, embedded at build time (web/assets.cmake writes the table).
#include <string_view>
#include <vector>

namespace selfheal::app {

struct WebAsset {
  std::string_view name;  // path under /ui/assets/, e.g. "app.js", "vendor/uPlot.esm.js"
  std::string_view content_type;
  std::string_view etag;  // quoted, from the file's SHA-256
  std::string_view body;
};

/// Every embedded file; index.html is the page shell served for / and every /ui/ page URL.
const std::vector<WebAsset>& web_assets();

}  // namespace selfheal::app
