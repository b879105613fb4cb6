#include <charla/client/terminal.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <readline/history.h>
#include <readline/readline.h>
#include <unistd.h>

namespace charla::client {
namespace {

// readline takes plain C callbacks; the one Console that reads owns these.
Console::LineHandler* g_on_line = nullptr;
Console::Completer* g_complete = nullptr;

void line_trampoline(char* line) {
  if (line != nullptr && *line != '\0') add_history(line);
  if (g_on_line != nullptr) (*g_on_line)(line);
  std::free(line);
}

std::vector<std::string> g_matches;

char* match_generator(const char* /*text*/, int state) {
  static std::size_t index = 0;
  if (state == 0) index = 0;
  if (index >= g_matches.size()) return nullptr;
  return strdup(g_matches[index++].c_str());
}

char** complete(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  if (g_complete == nullptr) return nullptr;
  // "@na" is one word for us: readline splits at '@' only if told; take it from the buffer.
  std::string_view word(text);
  bool first = true;
  for (int i = 0; i < start; ++i) {
    if (rl_line_buffer[i] != ' ') {
      first = false;
      break;
    }
  }
  g_matches = (*g_complete)(word, first);
  return rl_completion_matches(text, match_generator);
}

const char* code(Color c) {
  switch (c) {
    case Color::bold: return "\033[1m";
    case Color::dim: return "\033[2m";
    case Color::red: return "\033[31m";
    case Color::green: return "\033[32m";
    case Color::yellow: return "\033[33m";
    case Color::blue: return "\033[34m";
    case Color::magenta: return "\033[35m";
    case Color::cyan: return "\033[36m";
    case Color::none: break;
  }
  return "";
}

}  // namespace

bool want_color(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(fd) != 0;
}

Console::Console(bool interactive, bool color, Sink sink)
    : interactive_(interactive), color_(color), sink_(std::move(sink)) {}

Console::~Console() { stop(); }

std::string Console::paint(Color c, std::string_view text) const {
  if (!color_ || c == Color::none) return std::string(text);
  return std::string(code(c)) + std::string(text) + "\033[0m";
}

void Console::print(const std::string& line) {
  if (sink_) return sink_(line);
  if (!reading_) {
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    return;
  }
  // Take the half-typed line away, print, and put it back as it was.
  const int point = rl_point;
  char* saved = rl_copy_text(0, rl_end);
  rl_save_prompt();
  rl_replace_line("", 0);
  rl_redisplay();
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  rl_restore_prompt();
  rl_replace_line(saved, 0);
  rl_point = point;
  rl_redisplay();
  std::free(saved);
}

void Console::start(const std::string& prompt, LineHandler on_line, Completer completer) {
  static LineHandler handler;
  static Completer comp;
  handler = std::move(on_line);
  comp = std::move(completer);
  g_on_line = &handler;
  g_complete = &comp;
  prompt_ = prompt;
  rl_catch_signals = 0;  // SIGINT/SIGTERM come through the application's signalfd
  rl_catch_sigwinch = 1;
  rl_readline_name = "charla";
  rl_attempted_completion_function = complete;
  rl_completer_word_break_characters = const_cast<char*>(" \t");
  rl_callback_handler_install(prompt_.c_str(), line_trampoline);
  reading_ = true;
}

void Console::set_prompt(const std::string& prompt) {
  prompt_ = prompt;
  if (!reading_) return;
  rl_set_prompt(prompt_.c_str());
  rl_redisplay();
}

void Console::on_readable() {
  if (reading_) rl_callback_read_char();
}

void Console::stop() {
  if (!reading_) return;
  reading_ = false;
  rl_callback_handler_remove();
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace charla::client
