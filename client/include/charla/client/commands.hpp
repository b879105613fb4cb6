// What the user typed, as a value: plain text is a broadcast, "@name text" a
// private message, "/command ..." a command (Spanish with English aliases).
#pragma once

#include <charla/msg/protocol.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace charla::client {

namespace cmd {
struct Broadcast { std::string text; };
struct Private { std::string to; std::string text; };
struct Users {};
struct Info { std::string name; };
struct SetStatus { msg::Status status; };
struct Rename { std::string name; };
struct History { std::uint64_t count = 0; };  // 0: the default page
struct Search { std::string text; };
struct Help {};
struct Quit {};
struct Empty {};
struct Invalid { std::string hint; };  // one line telling the user what to type instead
}  // namespace cmd

using Command = std::variant<cmd::Broadcast, cmd::Private, cmd::Users, cmd::Info, cmd::SetStatus, cmd::Rename,
                             cmd::History, cmd::Search, cmd::Help, cmd::Quit, cmd::Empty, cmd::Invalid>;

Command parse_command(std::string_view line);

// "activo", "ACTIVO", "active", "ocupado", "busy", "inactivo", "idle", "away"...
std::optional<msg::Status> parse_status(std::string_view word);

// The command names, for /ayuda and tab completion.
struct CommandHelp {
  std::string_view spanish;
  std::string_view english;
  std::string_view args;
  std::string_view what;
};
const std::vector<CommandHelp>& command_table();

// Tab completion of `word`: command names when it is the first word and starts
// with '/', else the names of `online` that it begins (case-insensitively;
// "@an" gives "@ana"), and status words after the first word.
std::vector<std::string> complete_word(std::string_view word, bool first_word, const std::vector<std::string>& online);

}  // namespace charla::client
