// charla-broker's command line and configuration file, into a Config.
#pragma once

#include <charla/broker/config.hpp>

#include <cstdint>
#include <string>
#include <variant>

namespace charla::broker {

struct Options {
  Config cfg;
  std::string log_level = "info";
  std::string port_file;  // once listening, "PORT PUB_PORT\n" is written there
  std::string curve_secret_file, allow_dir, gateway_dir;
  std::string release_name;  // --release-name: an administrator's task instead of running
  std::uint32_t mail_max_mb = static_cast<std::uint32_t>(Config{}.mail_max_bytes >> 20);  // into cfg.mail_max_bytes
};

// Parses the command line (and the file of --config, if given). On --help,
// --version or a mistake it prints what to print and returns the exit code.
std::variant<Options, int> parse_options(int argc, char** argv);

// Reads the key files the options name into o.cfg. Throws std::runtime_error
// with one readable sentence.
void load_keys(Options& o);

}  // namespace charla::broker
