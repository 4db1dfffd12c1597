#include "nimbus/logger.hpp"

#include "nimbus/detail/ascii.hpp"

namespace nimbus {

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view name) noexcept {
  using detail::iequals;
  if (iequals(name, "debug")) return LogLevel::kDebug;
  if (iequals(name, "info")) return LogLevel::kInfo;
  if (iequals(name, "warn") || iequals(name, "warning")) return LogLevel::kWarn;
  if (iequals(name, "error")) return LogLevel::kError;
  return std::nullopt;
}

Json LogValue::to_json() const {
  return std::visit(
      [](const auto& v) -> Json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, const Json*>) {
          return *v;
        } else if constexpr (std::is_same_v<T, std::string_view>) {
          return std::string(v);
        } else {
          return v;
        }
      },
      v_);
}

void Logger::log(LogLevel level, std::string_view message, LogFields fields) const {
  if (!enabled(level)) return;
  Json f = Json::object();
  for (const auto& field : fields) f[std::string(field.key)] = field.value.to_json();
  write(level, std::string(message), std::move(f));
}

void Logger::log(LogLevel level, std::string_view message, const Json& fields) const {
  if (!enabled(level)) return;
  write(level, std::string(message), fields.is_object() ? fields : Json::object());
}

void Logger::write(LogLevel level, std::string message, Json fields) const {
  LogRecord record;
  record.level = level;
  record.message = std::move(message);
  if (bound_.empty()) {
    record.fields = std::move(fields);
  } else {
    record.fields = bound_;
    for (auto& [k, v] : fields.items()) record.fields[k] = std::move(v);
  }
  record.time = std::chrono::system_clock::now();
  record.logger = name_;
  sink_->write(record);
}

Logger Logger::bind(LogFields fields) const {
  Logger child = *this;
  for (const auto& field : fields) child.bound_[std::string(field.key)] = field.value.to_json();
  return child;
}

Logger Logger::child(std::string_view name) const {
  Logger child = *this;
  child.name_ = name_.empty() ? std::string(name) : name_ + "." + std::string(name);
  return child;
}

}  // namespace nimbus
