#include "nimbus/replay/replayer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nimbus/recorder/recorder.hpp"

namespace nimbus::replay {
namespace {

// Key order never matters when comparing: compare as nlohmann's sorted json.
nlohmann::json unordered(const Json& j) { return nlohmann::json::parse(j.dump()); }

// A response with a JSON body compared as JSON.
nlohmann::json normalized_response(const Json& response) {
  nlohmann::json r = unordered(response);
  if (r.contains("body") && r["body"].is_string()) {
    auto parsed = nlohmann::json::parse(r["body"].get<std::string>(), nullptr, false);
    if (!parsed.is_discarded() && (parsed.is_object() || parsed.is_array())) r["body"] = std::move(parsed);
  }
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

std::optional<Difference> compare_part(const std::string& part, const Json& expected, const Json& actual) {
  if (expected == actual) return std::nullopt;  // the usual case, without normalizing
  const bool same = part == "response" ? normalized_response(expected) == normalized_response(actual)
                                       : unordered(expected) == unordered(actual);
  if (same) return std::nullopt;
  if (part == "response") {
    return Difference{part, normalized_response(expected).dump(2), normalized_response(actual).dump(2)};
  }
  return Difference{part, unordered(expected).dump(2), unordered(actual).dump(2)};
}

RecordResult compare_records(const recorder::TapeRecord& a, const recorder::TapeRecord& b, std::size_t line) {
  RecordResult r;
  r.line = line;
  r.event_id = a.event.value("id", "");
  if (auto d = compare_part("response", a.response, b.response)) r.differences.push_back(std::move(*d));
  if (auto d = compare_part("logs", a.logs, b.logs)) r.differences.push_back(std::move(*d));
  if (auto d = compare_part("calls", a.calls, b.calls)) r.differences.push_back(std::move(*d));
  r.outcome = r.differences.empty() ? Outcome::kPassed : Outcome::kChanged;
  r.duration_ms = b.duration_ms;
  return r;
}

void RecordReplayer::expect(const recorder::TapeRecord& record) {
  expected_ = &record;
  next_call_ = 0;
  calls_ = Json::array();
  logs_ = Json::array();
  response_ = Json::object();
  duration_ms_ = 0;
}

void RecordReplayer::begin(const Event& /*event*/) {}

void RecordReplayer::log(const LogRecord& record) { logs_.push_back(recorder::log_to_json(record)); }

void RecordReplayer::end(const Response& response, std::chrono::nanoseconds took) {
  response_ = recorder::response_to_json(response);
  duration_ms_ = std::chrono::duration<double, std::milli>(took).count();
}

std::optional<Json> RecordReplayer::answer(const BindingCall& call) {
  if (expected_ != nullptr && next_call_ < expected_->calls.size()) {
    const Json& rec = expected_->calls[next_call_];
    if (rec.value("binding", "") == call.binding && rec.value("operation", "") == call.operation &&
        rec.contains("arguments") &&
        (rec["arguments"] == call.arguments || unordered(rec["arguments"]) == unordered(call.arguments))) {
      ++next_call_;
      if (rec.contains("error")) {  // the recorded call failed: so does this one
        const std::string error =
            rec["error"].is_string() ? rec["error"].get<std::string>() : rec["error"].dump();
        calls_.push_back(recorder::call_to_json(call, Json(nullptr), &error));
        throw BindingError(error);
      }
      return rec.contains("result") ? rec["result"] : Json(nullptr);
    }
  }
  if (o_.lenient) return std::nullopt;  // the configured binding answers it
  const std::string error = fmt::format("replay: {}.{}({}) is not on the tape", call.binding, call.operation,
                                        call.arguments.dump());
  calls_.push_back(recorder::call_to_json(call, Json(nullptr), &error));
  throw BindingError(error);
}

void RecordReplayer::completed(const BindingCall& call, const Json& result, const std::string* error) {
  calls_.push_back(recorder::call_to_json(call, result, error));
}

RecordResult RecordReplayer::finish(std::size_t line) {
  recorder::TapeRecord actual;
  actual.calls = calls_;
  actual.logs = logs_;
  actual.response = response_;
  actual.duration_ms = duration_ms_;
  RecordResult r = compare_records(*expected_, actual, line);
  expected_ = nullptr;
  return r;
}

std::string unified_diff(const std::string& expected, const std::string& actual, const std::string& from,
                         const std::string& to, std::size_t context) {
  if (expected == actual) return {};
  const auto a = lines_of(expected);
  const auto b = lines_of(actual);
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Longest common subsequence, then the edit script ('=' keep, '-' expected only, '+' actual only).
  std::vector<std::pair<char, std::string>> script;
  if (n * m <= 4'000'000) {
    std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;) {
      for (std::size_t j = m; j-- > 0;) {
        lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] == b[j]) {
        script.emplace_back('=', a[i++]);
        ++j;
      } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        script.emplace_back('-', a[i++]);  // removals first, as diff(1) shows them
      } else {
        script.emplace_back('+', b[j++]);
      }
    }
  } else {  // too large to align: the whole of one, then the whole of the other
    for (const auto& l : a) script.emplace_back('-', l);
    for (const auto& l : b) script.emplace_back('+', l);
  }
  // Hunks: changes with `context` kept lines around them.
  std::string out = "--- " + from + "\n+++ " + to + "\n";
  std::size_t k = 0;
  while (k < script.size()) {
    if (script[k].first == '=') {
      ++k;
      continue;
    }
    std::size_t start = k >= context ? k - context : 0;
    std::size_t end = k;
    std::size_t quiet = 0;
    while (end < script.size() && quiet <= 2 * context) {
      quiet = script[end].first == '=' ? quiet + 1 : 0;
      ++end;
    }
    end -= quiet > context ? quiet - context : 0;
    std::size_t old_line = 1;
    std::size_t new_line = 1;
    for (std::size_t x = 0; x < start; ++x) {
      if (script[x].first != '+') ++old_line;
      if (script[x].first != '-') ++new_line;
    }
    std::size_t old_count = 0;
    std::size_t new_count = 0;
    for (std::size_t x = start; x < end; ++x) {
      if (script[x].first != '+') ++old_count;
      if (script[x].first != '-') ++new_count;
    }
    out += fmt::format("@@ -{},{} +{},{} @@\n", old_line, old_count, new_line, new_count);
    for (std::size_t x = start; x < end; ++x) {
      out += script[x].first == '=' ? ' ' : script[x].first;
      out += script[x].second;
      out += '\n';
    }
    k = end;
  }
  return out;
}

}  // namespace nimbus::replay
