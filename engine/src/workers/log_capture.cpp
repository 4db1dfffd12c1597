#include "nimbus/engine/log_capture.hpp"

#include <algorithm>

#include "nimbus/format/log_json.hpp"

namespace nimbus::engine {

InvocationLogs::InvocationLogs(Context& ctx, const Event& event) : ctx_(ctx) {
  auto asked = event.header(kLogLevelHeader);
  header_ = kLogsHeader;
  if (!asked) {
    asked = event.header(kNuclioLogLevelHeader);
    header_ = kNuclioLogsHeader;
    nuclio_ = true;
  }
  if (!asked) return;
  const auto level = parse_log_level(*asked);
  if (!level) return;  // an unknown level asks for nothing
  saved_ = ctx.logger();
  capture_level_ = *level;
  // The handler's records come here first: from the lower of the level asked for and the worker's.
  ctx.logger() = Logger(this, std::min(*level, saved_->level()));
}

InvocationLogs::~InvocationLogs() {
  if (saved_) ctx_.logger() = *saved_;
}

void InvocationLogs::write(const LogRecord& record) {
  if (saved_->enabled(record.level)) saved_->sink()->write(record);  // the worker's own records, as ever
  if (record.level < capture_level_) return;
  std::string item;
  format::append_log_json(item, format::log_line(record, fields_), style());
  if (dropped_ > 0 || records_.size() + item.size() > kMaxHeaderBytes) {
    ++dropped_;
    return;
  }
  if (!records_.empty()) records_ += ',';
  records_ += item;
}

format::LogJsonStyle InvocationLogs::style() const {
  // X-Nimbus-Logs: Nimbus's records, without times (a replay compares them); X-Nuclio-Logs:
  // the records nuclio's processor returns, so that tools written for nuclio read them.
  format::LogJsonStyle style;
  if (nuclio_) {
    style.shape = format::LogJsonStyle::Shape::kNuclio;
    style.name = ctx_.function_name();
  }
  return style;
}

void InvocationLogs::finish(Response& response) const {
  if (!saved_) return;
  std::string value = "[" + records_;
  if (dropped_ > 0) {
    if (!records_.empty()) value += ',';
    const std::string message = std::to_string(dropped_) + " more records not shown";
    format::append_log_json(value, {LogLevel::kWarn, message, {}, {}, std::chrono::system_clock::now()},
                            style());
  }
  value += ']';
  response.with_header(header_, std::move(value));
}

}  // namespace nimbus::engine
