// The console: where lines are printed and, on a terminal, where the user types
// (readline in callback mode, so incoming lines never garble the line being typed).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace charla::client {

enum class Color { none, bold, dim, red, green, yellow, blue, magenta, cyan };

// Colours only on a terminal and only when NO_COLOR is not set.
bool want_color(int fd);

class Console {
 public:
  using LineHandler = std::function<void(const char* line)>;  // nullptr line = end of input
  using Completer = std::function<std::vector<std::string>(std::string_view word, bool first_word)>;
  using Sink = std::function<void(const std::string& line)>;

  // Lines go to standard output, or to `sink` when one is given (tests).
  Console(bool interactive, bool color, Sink sink = {});
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  bool interactive() const noexcept { return interactive_; }
  std::string paint(Color c, std::string_view text) const;

  // Prints one line (above the prompt on a terminal).
  void print(const std::string& line);

  // Interactive only: start taking lines with readline.
  void start(const std::string& prompt, LineHandler on_line, Completer complete);
  void set_prompt(const std::string& prompt);
  void on_readable();  // stdin has bytes: let readline take them
  void stop();

 private:
  bool interactive_;
  bool color_;
  Sink sink_;
  bool reading_ = false;
  std::string prompt_;
};

}  // namespace charla::client
