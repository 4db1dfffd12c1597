// Tape lines: any text read as a record in place (format::read_record_line),
// its event and calls read as the replay reads them, and the whole as JSON
// values. Property: nothing throws or crashes; a record whose parts the
// in-place reader found is one nlohmann reads the same parts of.
#include <cstdint>

#include "fuzz.hpp"
#include "nimbus/engine/call_script.hpp"
#include "nimbus/format/event_file.hpp"
#include "nimbus/format/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = nimbus::fuzz::text(data, size);
  auto line = nimbus::format::read_record_line(std::string(input), 3, "fuzz.tape:3");
  auto values = nimbus::format::TapeLine{}.parse();  // an empty line: an error, never a throw
  nimbus::fuzz::check(!values, "an empty line read as a record");
  if (!line) {
    nimbus::fuzz::check(line.error().message.rfind("fuzz.tape:3: ", 0) == 0, "an error without its line",
                        line.error().message);
    return 0;
  }
  (void)nimbus::format::parse_event_text(line->event_value, line->where);
  if (auto script = nimbus::engine::CallScript::parse(line->calls_json(), false)) {
    const nimbus::detail::BindingCall call{"b", "get", R"({"key":"k"})"};
    for (int i = 0; i < 4; ++i) (void)script->answer(call);
  }
  auto parsed = line->parse();
  if (parsed) {
    nimbus::fuzz::check(parsed->event.is_object() && parsed->response.is_object(),
                        "a record without its parts");
  }
  return 0;
}
