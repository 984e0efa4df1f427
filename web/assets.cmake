# Included from app/CMakeLists.txt: embeds the web UI into selfheal_app at build time.
# web/src/* and the chart library (web/node_modules/uplot, installed by `npm ci` in
# scripts/install-deps.sh from the committed web/package-lock.json) become one generated .cpp
# (web/embed.cmake), so `selfheal serve` serves the UI from any directory, offline.
set(_web ${PROJECT_SOURCE_DIR}/web)
set(_uplot ${_web}/node_modules/uplot/dist)
if(NOT EXISTS ${_uplot}/uPlot.esm.js)
  message(FATAL_ERROR "web/node_modules/uplot is missing: run scripts/install-deps.sh "
                      "(or `npm ci` in web/), it installs the chart library the web UI embeds.")
endif()
file(GLOB _web_src CONFIGURE_DEPENDS ${_web}/src/*)
# NAME=PATH pairs: the URL name under /ui/assets/ and the file.
set(_web_pairs)
foreach(f ${_web_src})
  get_filename_component(n ${f} NAME)
  list(APPEND _web_pairs "${n}=${f}")
endforeach()
list(APPEND _web_pairs "vendor/uPlot.esm.js=${_uplot}/uPlot.esm.js" "vendor/uPlot.min.css=${_uplot}/uPlot.min.css")
string(REPLACE ";" "|" _web_arg "${_web_pairs}")
set(_web_out ${CMAKE_CURRENT_BINARY_DIR}/web_assets.cpp)
add_custom_command(OUTPUT ${_web_out}
  COMMAND ${CMAKE_COMMAND} "-DOUT=${_web_out}" "-DPAIRS=${_web_arg}" -P ${_web}/embed.cmake
  DEPENDS ${_web_src} ${_uplot}/uPlot.esm.js ${_uplot}/uPlot.min.css ${_web}/embed.cmake
  COMMENT "Embedding the web UI (web/src, uPlot)" VERBATIM)
target_sources(selfheal_app PRIVATE ${_web_out})
