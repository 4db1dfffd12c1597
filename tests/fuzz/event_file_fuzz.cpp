// Event files: any text read as an event, in place (the replay's path,
// format::parse_event_text) and as JSON values (event files, parse_event).
// Property: both agree, on the event and on the error, and nothing throws.
#include <cstdint>

#include "fuzz.hpp"
#include "nimbus/format/event_file.hpp"

namespace {

using nimbus::detail::EventData;

bool same(const EventData& a, EventData b, bool timestamps) {
  if (!timestamps) b.timestamp = a.timestamp;
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = nimbus::fuzz::text(data, size);
  auto in_place = nimbus::format::parse_event_text(input, "fuzz");
  if (input.find('\0') != std::string_view::npos) {  // nlohmann stops at a NUL; Nimbus's readers refuse it
    nimbus::fuzz::check(!in_place, "an event with a raw NUL byte was read", input);
    return 0;
  }
  nimbus::Json json;
  try {
    json = nimbus::Json::parse(input);
  } catch (const nimbus::Json::exception&) {
    return 0;  // not JSON: the in-place reader refuses it too, or reads only what it can check
  }
  auto values = nimbus::format::parse_event(json, "fuzz");
  nimbus::fuzz::check(in_place.ok() == values.ok(), "one reader read an event the other refused", input);
  if (!values) {
    nimbus::fuzz::check(in_place.error().message == values.error().message, "the readers' errors differ",
                        in_place.error().message + " | " + values.error().message);
    return 0;
  }
  const bool timestamps = input.find("\"timestamp\"") != std::string_view::npos;  // else both are "now"
  nimbus::fuzz::check(same(*in_place, *values, timestamps), "the two readers read different events", input);
  return 0;
}
