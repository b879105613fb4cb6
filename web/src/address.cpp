#include "address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace charla::web {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string plain(std::string ip) {
  if (ip.rfind("::ffff:", 0) == 0 && ip.find('.') != std::string::npos) ip.erase(0, 7);
  return ip;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::string client_address(const std::string& peer, std::string_view forwarded_for, bool trust_forwarded_for) {
  if (trust_forwarded_for) {
    const auto comma = forwarded_for.rfind(',');
    const std::string last(trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1)));
    if (is_ip(last)) return plain(last);
  }
  return plain(peer);
}

bool origin_allowed(std::string_view origin, std::string_view host, bool tls, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  const auto o = lower(trim(origin));
  if (!host.empty() && o == std::string(tls ? "https://" : "http://") + lower(trim(host))) return true;
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return a == "*" || lower(a) == o; });
}

}  // namespace charla::web
