#pragma once
// How a log sink writes one record: a JSON object (the `json` format, every sink's default) or
// a line for people (`text`). Both carry the record's function, version, worker, trigger,
// event and trace id; every sink writes through here.

#include <string>
#include <string_view>

#include "nimbus/engine/attributes.hpp"
#include "nimbus/engine/log_sink.hpp"

namespace nimbus::engine::logging {

enum class LineFormat { kJson, kText };

/// Appends `e` as one line, newline included.
///
/// json: `{"time":…,"level":…,"message":…,"fields":{…},"logger":…,"function":…,"version":…,
/// "worker":0,"trigger":…,"triggerKind":…,"event":…,"traceId":…}` (the members that are empty
/// left out).
/// text: `2026-11-18T11:06:40.123Z WARN  [db] message  n=1  (function@version worker 0 web event e1 trace
/// 4bf9…)`, control characters escaped so that a record is one line.
void append_line(std::string& out, const LogEntry& e, LineFormat format);

/// A sink's `format` attribute: `json` (default) or `text`.
[[nodiscard]] Result<LineFormat> line_format(const Attributes& attributes);

}  // namespace nimbus::engine::logging
