// Times and durations as the console and the monitor show them.
#pragma once

#include <cstdint>
#include <string>

namespace charla::client {

std::uint64_t now_ms();
std::string clock_time(std::uint64_t epoch_ms, bool with_seconds);  // local "14:03" or "14:03:27"
std::string iso_utc(std::uint64_t epoch_ms);                        // "2026-11-25T07:23:48.123Z"
std::string duration(std::uint64_t seconds);                        // "45 s", "3 min 2 s", "2 h 5 min"

}  // namespace charla::client
