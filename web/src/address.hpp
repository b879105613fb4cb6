// Who a browser is, as the gateway decides it: the address it gives the broker
// for its user (hello's ip, protocol 4.2), and whether a WebSocket upgrade comes
// from a page the gateway may serve (Origin).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace charla::web {

// The user's address: the TCP peer's (IPv4 in its plain form, not ::ffff:a.b.c.d), or,
// when the gateway is told to trust the proxy in front of it, the last address that
// proxy added to X-Forwarded-For (the only one it vouches for). An entry that is no
// IP address is ignored.
std::string client_address(const std::string& peer, std::string_view forwarded_for, bool trust_forwarded_for);

// Whether an upgrade with this Origin may become a chat: no Origin (not a browser,
// so no page to forge a request from), the gateway's own origin (the Host the
// browser asked for, on the scheme it used), or one of `allowed` ("*" allows any).
bool origin_allowed(std::string_view origin, std::string_view host, bool tls, const std::vector<std::string>& allowed);

}  // namespace charla::web
