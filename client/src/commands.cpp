#include <charla/client/commands.hpp>

#include <charla/msg/names.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace charla::client {
namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Splits "word rest" at the first blank.
std::pair<std::string_view, std::string_view> split_word(std::string_view s) {
  const auto sp = s.find_first_of(" \t");
  if (sp == std::string_view::npos) return {s, {}};
  return {s.substr(0, sp), trim(s.substr(sp))};
}

const std::vector<CommandHelp> kCommands{
    {"/usuarios", "/users", "", "lista quién está conectado y su estado"},
    {"/info", "/info", "<usuario>", "IP, estado y tiempos de un usuario"},
    {"/estado", "/status", "ACTIVO|OCUPADO|INACTIVO", "cambia tu estado (también active|busy|idle)"},
    {"/historial", "/history", "[n]", "los n mensajes anteriores a los que ves (20 si no dices cuántos)"},
    {"/buscar", "/search", "<palabras>", "busca en el historial (sin distinguir acentos ni mayúsculas)"},
    {"/nombre", "/nick", "<nuevo>", "vuelve a entrar con otro nombre (si el tuyo lo tiene otra persona)"},
    {"/ayuda", "/help", "", "muestra esta ayuda"},
    {"/salir", "/quit", "", "sale del chat"},
};

}  // namespace

const std::vector<CommandHelp>& command_table() { return kCommands; }

std::optional<msg::Status> parse_status(std::string_view word) {
  const auto w = lower(word);
  if (w == "activo" || w == "active") return msg::Status::activo;
  if (w == "ocupado" || w == "busy") return msg::Status::ocupado;
  if (w == "inactivo" || w == "idle" || w == "away") return msg::Status::inactivo;
  return std::nullopt;
}

Command parse_command(std::string_view raw) {
  const auto line = trim(raw);
  if (line.empty()) return cmd::Empty{};
  if (line.front() == '@') {
    const auto [target, text] = split_word(line.substr(1));
    if (target.empty() || text.empty()) return cmd::Invalid{"uso: @usuario mensaje"};
    return cmd::Private{std::string(target), std::string(text)};
  }
  if (line.front() != '/') return cmd::Broadcast{std::string(line)};
  if (line.size() > 1 && line[1] == '/') return cmd::Broadcast{std::string(line.substr(1))};  // "//x" sends "/x"

  const auto [word, rest] = split_word(line);
  const auto name = lower(word);
  if (name == "/usuarios" || name == "/users" || name == "/who") return cmd::Users{};
  if (name == "/info" || name == "/whois") {
    if (rest.empty() || split_word(rest).second.size() != 0) return cmd::Invalid{"uso: /info <usuario>"};
    return cmd::Info{std::string(rest)};
  }
  if (name == "/estado" || name == "/status") {
    if (auto s = parse_status(rest)) return cmd::SetStatus{*s};
    return cmd::Invalid{"uso: /estado ACTIVO|OCUPADO|INACTIVO (o /status active|busy|idle)"};
  }
  if (name == "/historial" || name == "/history") {
    if (rest.empty()) return cmd::History{0};
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc() || end != rest.data() + rest.size() || n == 0 || n > 200) {
      return cmd::Invalid{"uso: /historial [n], con n de 1 a 200"};
    }
    return cmd::History{n};
  }
  if (name == "/buscar" || name == "/search") {
    if (rest.empty()) return cmd::Invalid{"uso: /buscar <palabras>"};
    return cmd::Search{std::string(rest)};
  }
  if (name == "/nombre" || name == "/nick") {
    if (rest.empty() || split_word(rest).second.size() != 0) return cmd::Invalid{"uso: /nombre <nuevo>"};
    return cmd::Rename{std::string(rest)};
  }
  if (name == "/ayuda" || name == "/help" || name == "/?") return cmd::Help{};
  if (name == "/salir" || name == "/quit" || name == "/exit") return cmd::Quit{};
  return cmd::Invalid{"comando desconocido '" + std::string(word) + "'; escribe /ayuda para ver los comandos"};
}

std::vector<std::string> complete_word(std::string_view word, bool first, const std::vector<std::string>& online) {
  std::vector<std::string> out;
  const auto starts = [&](std::string_view cand) { return cand.substr(0, word.size()) == word; };
  if (first && !word.empty() && word.front() == '/') {
    for (const auto& h : command_table()) {
      if (starts(h.spanish)) out.emplace_back(h.spanish);
      if (h.english != h.spanish && starts(h.english)) out.emplace_back(h.english);
    }
    return out;
  }
  const bool at = !word.empty() && word.front() == '@';
  const auto folded = msg::fold_name(std::string(word));
  for (const auto& name : online) {
    const auto cand = (at ? "@" : "") + name;
    if (msg::fold_name(cand).rfind(folded, 0) == 0) out.push_back(cand);
  }
  if (!at && !first) {
    for (const char* s : {"ACTIVO", "OCUPADO", "INACTIVO"}) {
      if (starts(s)) out.emplace_back(s);
    }
  }
  return out;
}

}  // namespace charla::client
