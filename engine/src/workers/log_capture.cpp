#include "nimbus/engine/log_capture.hpp"

#include <algorithm>

#include "nimbus/engine/encoding.hpp"

namespace nimbus::engine {

InvocationLogs::InvocationLogs(Context& ctx, const Event& event) : ctx_(ctx) {
  auto asked = event.header(kLogLevelHeader);
  header_ = kLogsHeader;
  if (!asked) {
    asked = event.header(kNuclioLogLevelHeader);
    header_ = kNuclioLogsHeader;
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
  std::string item = R"({"level":")";
  item += to_string(record.level);
  item += R"(","message":)";
  append_json_string(item, record.message);
  if (!record.fields.empty()) {
    item += R"(,"fields":)";
    append_json(item, record.fields);
  }
  if (!record.logger.empty()) {
    item += R"(,"logger":)";
    append_json_string(item, record.logger);
  }
  item += '}';
  if (dropped_ > 0 || records_.size() + item.size() > kMaxHeaderBytes) {
    ++dropped_;
    return;
  }
  if (!records_.empty()) records_ += ',';
  records_ += item;
}

void InvocationLogs::finish(Response& response) const {
  if (!saved_) return;
  std::string value = "[" + records_;
  if (dropped_ > 0) {
    value += records_.empty() ? "" : ",";
    value += R"({"level":"warn","message":")" + std::to_string(dropped_) + R"( more records not shown"})";
  }
  value += ']';
  response.with_header(header_, std::move(value));
}

}  // namespace nimbus::engine
