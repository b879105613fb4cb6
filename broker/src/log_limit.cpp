#include "log_limit.hpp"

#include <spdlog/spdlog.h>

namespace charla::broker {
namespace {

const char* kind_name(char kind) {
  switch (kind) {
    case 'b': return "mensajes inválidos";
    case 'r': return "exceso de mensajes";
    case 'p': return "cambios de estado";
    default: return "sesión";
  }
}

}  // namespace

bool LogLimiter::allow(std::string_view rid, Kind kind, std::string_view who, Clock::time_point now) {
  std::string key(1, static_cast<char>(kind));
  key.append(rid);
  auto [it, fresh] = entries_.try_emplace(std::move(key));
  Entry& e = it->second;
  if (fresh || now - e.start >= kWindow) {
    if (!fresh && e.left_out > 0) summary(it->first.front(), e);
    e.start = now;
    e.lines = 0;
    e.left_out = 0;
  }
  if (e.lines < kLinesPerWindow) {
    ++e.lines;
    if (e.who.empty()) e.who = who;
    return true;
  }
  ++e.left_out;
  return false;
}

void LogLimiter::summarize(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.start < kWindow) {
      ++it;
      continue;
    }
    if (it->second.left_out > 0) summary(it->first.front(), it->second);
    it = entries_.erase(it);
  }
}

void LogLimiter::summary(char kind, const Entry& e) const {
  spdlog::warn("{}: {} líneas más de registro ({}) omitidas en {} s", e.who, e.left_out, kind_name(kind),
               std::chrono::duration_cast<std::chrono::seconds>(kWindow).count());
}

}  // namespace charla::broker
