// The page (web/page/: index.html, app.js, style.css), compiled into the gateway
// so that it is served whatever directory it runs in; web/CMakeLists.txt makes
// page_files.cpp from the files at build time.
#pragma once

#include <string_view>

namespace charla::web {

struct PageFile {
  std::string_view path;  // "/index.html"
  std::string_view type;  // its Content-Type
  std::string_view body;
};

// The file for a request target ("/" is /index.html; a query is ignored), or null.
const PageFile* page_file(std::string_view target);

}  // namespace charla::web
