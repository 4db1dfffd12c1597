#pragma once
/// @file
/// Event files: JSON descriptions of events (docs/event-files.md), read one
/// at a time from a file, a directory, an NDJSON stream or standard input.

#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nimbus/detail/event_data.hpp"
#include "nimbus/format/json_text.hpp"
#include "nimbus/json.hpp"
#include "nimbus/result.hpp"

namespace nimbus::format {

/// Defaults for what an event file leaves out.
struct EventDefaults {
  std::string trigger_kind = "http";
  std::string trigger_name = "http";
};

/// Turns one event file's JSON object into an event. `default_id` is used when
/// it has no "id". Errors name the offending field.
Result<detail::EventData> parse_event(const Json& json, const std::string& default_id,
                                      const EventDefaults& defaults = {}) noexcept;

/// The same from an event object's JSON text, read in place (a tape's event:
/// the replay's hot path); the same result and the same errors as parsing
/// the text and calling `parse_event`.
Result<detail::EventData> parse_event_text(std::string_view text, const std::string& default_id,
                                           const EventDefaults& defaults = {}) noexcept;
/// The same from an event object already read in place.
Result<detail::EventData> parse_event_text(const JsonText& event, const std::string& default_id,
                                           const EventDefaults& defaults = {}) noexcept;

/// One event read from a feed, or why it could not be read.
struct FeedItem {
  std::string origin;  ///< "events/get.json", "events.ndjson:3", "-:2"
  Result<detail::EventData> event;
};

/// Reads events in order from files, directories (their *.json, *.ndjson and
/// *.jsonl files, sorted by name) or "-" (standard input, NDJSON). Holds one
/// file open at a time and one event in memory, whatever the input's size.
class EventFileFeed {
 public:
  /// `inputs`: paths and "-". Fails when one does not exist.
  static Result<EventFileFeed> open(const std::vector<std::string>& inputs, EventDefaults defaults = {},
                                    std::istream* standard_input = nullptr) noexcept;

  /// The next event, or nothing at the end.
  std::optional<FeedItem> next();

 private:
  struct Source {
    std::filesystem::path path;  // empty for standard input
    bool ndjson = false;
  };
  std::vector<Source> sources_;
  std::size_t next_source_ = 0;
  EventDefaults defaults_;
  std::istream* stdin_ = nullptr;

  // The file being read.
  std::unique_ptr<std::ifstream> file_;
  std::istream* in_ = nullptr;
  std::string display_;
  std::string stem_;
  bool ndjson_ = false;
  std::size_t line_ = 0;
  std::optional<Json> array_;  // a .json file holding an array of events
  std::size_t array_index_ = 0;
};

}  // namespace nimbus::format
