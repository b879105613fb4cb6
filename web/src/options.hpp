// charla-web's command line (in the style of charla-monitor: the broker first).
#pragma once

#include "shared_state.hpp"

#include <charla/client/security.hpp>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace charla::web {

struct Options {
  std::string host;
  std::uint16_t port = 8082;
  std::string listen = "127.0.0.1";  // this machine only, until told otherwise (--listen)
  std::uint16_t http_port = 8080;
  client::SecurityArgs security;
  std::string tls_cert, tls_key;
  Limits limits;
  Policy policy;
  double timeout_s = 5;
  std::string log_level = "info";
  std::string port_file;
};

// The options, or the exit code when there is nothing to run (--help, --version, an error).
std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace charla::web
