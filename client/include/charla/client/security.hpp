// The clients' CURVE options: --server-key KEY|FILE and --client-key FILE.
#pragma once

#include <charla/client/connection.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace charla::client {

struct SecurityArgs {
  std::string server_key;  // the key or a file holding it
  std::string client_key;  // a file holding this client's secret key
};

void add_security_options(CLI::App& app, SecurityArgs& args);

// Fills the keys in `o`; without --client-key the pair kept in
// $XDG_CONFIG_HOME/charla (or ~/.config/charla) is used, made on first use.
// Throws std::runtime_error with one readable sentence.
void apply_security(const SecurityArgs& args, Connection::Options& o);

}  // namespace charla::client
