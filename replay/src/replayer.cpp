#include "nimbus/replay/replayer.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>

#include "nimbus/engine/log_capture.hpp"
#include "nimbus/format/text.hpp"
#include "nimbus/recorder/recorder.hpp"

namespace nimbus::replay {
namespace {

// Key order never matters when comparing: compare as nlohmann's sorted json.
nlohmann::json unordered(const Json& j) { return nlohmann::json::parse(j.dump()); }

// X-Nuclio-Logs records carry their times (nuclio's shape; X-Nimbus-Logs has none): a replay
// compares the records without them.
void drop_nuclio_log_times(nlohmann::json& r) {
  if (!r.contains("headers") || !r["headers"].is_object()) return;
  for (auto& [name, value] : r["headers"].items()) {
    if (!format::iequals(name, engine::kNuclioLogsHeader) || !value.is_string()) continue;
    auto records = nlohmann::json::parse(value.get<std::string>(), nullptr, false);
    if (!records.is_array()) return;
    for (auto& record : records) {
      if (record.is_object()) record.erase("time");
    }
    value = std::move(records);
  }
}

// A response with a JSON body compared as JSON.
nlohmann::json normalized_response(const Json& response) {
  nlohmann::json r = unordered(response);
  if (r.contains("body") && r["body"].is_string()) {
    auto parsed = nlohmann::json::parse(r["body"].get<std::string>(), nullptr, false);
    if (!parsed.is_discarded() && (parsed.is_object() || parsed.is_array())) r["body"] = std::move(parsed);
  }
  drop_nuclio_log_times(r);
  return r;
}

// A record as one JSON document, its response body parsed when it is JSON.
nlohmann::json whole(const format::TapeRecord& r) {
  return nlohmann::json{{"response", normalized_response(r.response)},
                        {"logs", unordered(r.logs)},
                        {"calls", unordered(r.calls)}};
}

std::vector<std::string> split_pointer(const std::string& path) {
  std::vector<std::string> tokens;
  std::size_t at = 1;
  while (at <= path.size() && !path.empty()) {
    std::size_t slash = path.find('/', at);
    tokens.push_back(path.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return tokens;
}

// Removes what `tokens[i...]` names under `j` ("*": every key or index).
void erase_path(nlohmann::json& j, const std::vector<std::string>& tokens, std::size_t i) {
  if (i >= tokens.size() || !j.is_structured()) return;
  const std::string& t = tokens[i];
  const bool last = i + 1 == tokens.size();
  if (j.is_object()) {
    if (t == "*") {
      if (last) {
        j = nlohmann::json::object();
        return;
      }
      for (auto& [k, v] : j.items()) erase_path(v, tokens, i + 1);
    } else if (j.contains(t)) {
      if (last) {
        j.erase(t);
      } else {
        erase_path(j[t], tokens, i + 1);
      }
    }
    return;
  }
  // An array: "*" or an index.
  if (t == "*") {
    if (last) {
      j = nlohmann::json::array();
      return;
    }
    for (auto& v : j) erase_path(v, tokens, i + 1);
    return;
  }
  char* end = nullptr;
  const unsigned long index = std::strtoul(t.c_str(), &end, 10);
  if (end == t.c_str() || *end != '\0' || index >= j.size()) return;
  if (last) {
    j[index] = nullptr;  // keep the other indices where they are
  } else {
    erase_path(j[index], tokens, i + 1);
  }
}

void mask_strings(nlohmann::json& j, const std::vector<std::regex>& masks) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    for (const auto& m : masks) s = std::regex_replace(s, m, "<masked>");
    j = s;
  } else if (j.is_structured()) {
    for (auto& v : j) mask_strings(v, masks);
  }
}

// `doc` (from `whole`) without what the rules call noise.
void apply_noise(nlohmann::json& doc, const NoiseRules& rules, const std::vector<std::regex>& masks) {
  if (!rules.headers.empty() && doc["response"].contains("headers") &&
      doc["response"]["headers"].is_object()) {
    auto& headers = doc["response"]["headers"];
    for (auto it = headers.begin(); it != headers.end();) {
      const std::string key = it.key();
      const bool noisy = std::any_of(rules.headers.begin(), rules.headers.end(),
                                     [&](const std::string& h) { return format::iequals(h, key); });
      it = noisy ? headers.erase(it) : std::next(it);
    }
  }
  for (auto& log : doc["logs"]) {
    if (!log.contains("fields") || !log["fields"].is_object()) continue;
    for (const auto& f : rules.log_fields) log["fields"].erase(f);
  }
  for (const auto& path : rules.paths) erase_path(doc, split_pointer(path), 0);
  if (!masks.empty()) mask_strings(doc, masks);
}

// Paths where `a` and `b` differ, array indices as "*".
void differing_paths(const nlohmann::json& a, const nlohmann::json& b, const std::string& at,
                     std::vector<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k)) {
        out.push_back(at + "/" + k);
      } else {
        differing_paths(v, b.at(k), at + "/" + k, out);
      }
    }
    for (const auto& [k, v] : b.items()) {
      if (!a.contains(k)) out.push_back(at + "/" + k);
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (std::size_t i = 0; i < a.size(); ++i) differing_paths(a[i], b[i], at + "/*", out);
    return;
  }
  if (a != b) out.push_back(at);
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

RecordResult compare_records(const format::TapeRecord& a, const format::TapeRecord& b, std::size_t line,
                             const NoiseRules& noise) {
  RecordResult r;
  r.line = line;
  r.event_id = a.event.value("id", "");
  r.duration_ms = b.duration_ms;
  if (auto d = compare_part("response", a.response, b.response)) r.differences.push_back(std::move(*d));
  if (auto d = compare_part("logs", a.logs, b.logs)) r.differences.push_back(std::move(*d));
  if (auto d = compare_part("calls", a.calls, b.calls)) r.differences.push_back(std::move(*d));
  if (!r.differences.empty() && !noise.empty()) {
    // Compare again without the noise; show what is left.
    nlohmann::json x = whole(a);
    nlohmann::json y = whole(b);
    try {
      std::vector<std::regex> masks;
      for (const auto& m : noise.masks) masks.emplace_back(m);
      apply_noise(x, noise, masks);
      apply_noise(y, noise, masks);
    } catch (const std::regex_error& e) {  // a mask std::regex gives up on (too complex for this text)
      r.outcome = Outcome::kUnreadable;
      r.error = "line " + std::to_string(line) + ": a noise rule's mask could not be applied: " + e.what();
      r.differences.clear();
      return r;
    }
    r.differences.clear();
    for (const char* part : {"response", "logs", "calls"}) {
      if (x[part] != y[part]) r.differences.push_back({part, x[part].dump(2), y[part].dump(2)});
    }
    r.noise_ignored = r.differences.empty();
  }
  r.outcome = r.differences.empty() ? Outcome::kPassed : Outcome::kChanged;
  return r;
}

Result<NoiseRules> NoiseRules::parse(std::string_view yaml, const std::string& origin) noexcept {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    NoiseRules rules;
    if (!root || root.IsNull()) return rules;
    if (!root.IsMap()) return Error{origin + ": expected a mapping of noise rules"};
    auto list = [&](const char* key, std::vector<std::string>& out) -> Result<void> {
      const YAML::Node n = root[key];
      if (!n) return {};
      if (!n.IsSequence()) {
        return Error{origin + ":" + std::to_string(n.Mark().line + 1) + ": " + key + ": expected a list"};
      }
      for (const auto& item : n) out.push_back(item.as<std::string>());
      return {};
    };
    for (const auto& [key, out] :
         {std::pair{"ignoreHeaders", &rules.headers}, std::pair{"ignorePaths", &rules.paths},
          std::pair{"ignoreLogFields", &rules.log_fields}, std::pair{"masks", &rules.masks}}) {
      if (auto ok = list(key, *out); !ok) return ok.error();
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node key = it->first;
      const auto name = key.as<std::string>();
      if (name != "ignoreHeaders" && name != "ignorePaths" && name != "ignoreLogFields" && name != "masks") {
        return Error{origin + ":" + std::to_string(key.Mark().line + 1) + ": unknown rule '" + name +
                     "' (expected ignoreHeaders, ignorePaths, ignoreLogFields or masks)"};
      }
    }
    for (const auto& m : rules.masks) {
      if (auto ok = check_mask(m, origin + ": masks: '" + m + "'"); !ok) return ok.error();
    }
    return rules;
  } catch (const YAML::Exception& e) {
    return Error{origin + ": " + e.what()};
  } catch (const std::exception& e) {
    return Error{origin + ": " + e.what()};
  }
}

namespace {

// The number of states std::regex makes of `mask`, roughly: each atom one, a group the sum of
// its atoms, a repetition its atom times its largest count. Nothing when it is beyond `limit`.
std::optional<std::size_t> regex_size(std::string_view mask, std::size_t limit) {
  std::vector<std::size_t> groups{0};  // the size so far of each open group
  std::size_t last = 0;                // the size of the atom before a repetition
  for (std::size_t i = 0; i < mask.size(); ++i) {
    const char c = mask[i];
    if (c == '\\') {
      ++i;
      last = 1;
      groups.back() += 1;
    } else if (c == '[') {
      std::size_t j = i + 1;
      if (j < mask.size() && mask[j] == '^') ++j;
      if (j < mask.size() && mask[j] == ']') ++j;
      while (j < mask.size() && mask[j] != ']') j += mask[j] == '\\' ? 2 : 1;
      i = j;
      last = 1;
      groups.back() += 1;
    } else if (c == '(') {
      groups.push_back(0);
      if (groups.size() > 100) return std::nullopt;
    } else if (c == ')' && groups.size() > 1) {
      last = groups.back() + 1;
      groups.pop_back();
      groups.back() += last;
    } else if (c == '{') {
      std::size_t j = i + 1;
      std::size_t largest = 0;
      std::size_t count = 0;
      while (j < mask.size() && (std::isdigit(static_cast<unsigned char>(mask[j])) != 0 || mask[j] == ',')) {
        count = mask[j] == ','
                    ? 0
                    : std::min<std::size_t>(count * 10 + static_cast<std::size_t>(mask[j] - '0'), limit + 1);
        largest = std::max(largest, count);
        ++j;
      }
      if (j < mask.size() && mask[j] == '}') {
        groups.back() += last * (largest > 0 ? largest - 1 : 0);
        i = j;
      } else {
        groups.back() += 1;
      }
    } else {
      last = 1;
      groups.back() += 1;
    }
    if (groups.back() > limit) return std::nullopt;
  }
  std::size_t total = 0;
  for (const auto g : groups) total += g;
  return total;
}

}  // namespace

Result<void> NoiseRules::check_mask(const std::string& mask, const std::string& what) noexcept {
  try {
    constexpr std::size_t kLimit = 10000;
    if (!regex_size(mask, kLimit)) {
      return Error{what + " is too large a regular expression (over " + std::to_string(kLimit) +
                   " states, or groups nested over 100 deep)"};
    }
    std::regex check(mask);
    return {};
  } catch (const std::regex_error& e) {
    return Error{what + " is not a regular expression: " + e.what()};
  } catch (const std::exception& e) {
    return Error{what + ": " + e.what()};
  }
}

Result<NoiseRules> NoiseRules::load(const std::filesystem::path& file) noexcept {
  try {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error{file.string() + ": cannot read the noise rules"};
    std::stringstream text;
    text << in.rdbuf();
    return parse(text.str(), file.string());
  } catch (const std::exception& e) {
    return Error{file.string() + ": " + e.what()};
  }
}

std::vector<std::string> NoiseRules::learn(const format::TapeRecord& a, const format::TapeRecord& b) {
  std::vector<std::string> paths;
  differing_paths(whole(a), whole(b), "", paths);
  return paths;
}

void RecordReplayer::expect(const format::TapeLine& record) {
  expected_ = &record;
  auto script = engine::CallScript::parse(record.calls_json(), o_.lenient);
  script_ = script ? std::move(*script) : engine::CallScript(o_.lenient);
  actual_.clear();
  duration_ms_ = 0;
}

void RecordReplayer::begin(const Event& /*event*/) {}

void RecordReplayer::log(const LogRecord& record) { actual_.log(record); }

void RecordReplayer::end(const Response& response, std::chrono::nanoseconds took) {
  actual_.response(response);
  duration_ms_ = std::chrono::duration<double, std::milli>(took).count();
}

std::optional<Json> RecordReplayer::answer(const detail::BindingCall& call) {
  auto a = script_.answer(call);
  if (a.error) {
    actual_.call(call, {}, &*a.error);
    throw BindingError(*a.error);
  }
  return std::move(a.result);
}

void RecordReplayer::completed(const detail::BindingCall& call, std::string_view result,
                               const std::string* error) {
  actual_.call(call, result, error);
}

RecordResult RecordReplayer::finish(std::string_view event_id) {
  RecordResult r = compare_line(*expected_, actual_, duration_ms_, event_id, o_.noise);
  expected_ = nullptr;
  return r;
}

namespace {

// `items` between brackets equals `array`'s text.
bool same_array(std::string_view array, std::string_view items) {
  if (array.empty()) return items.empty();  // absent: none
  return array.size() == items.size() + 2 && array.front() == '[' && array.back() == ']' &&
         array.substr(1, items.size()) == items;
}

}  // namespace

RecordResult compare_line(const format::TapeLine& expected, const format::RecordText& actual,
                          double duration_ms, std::string_view event_id, const NoiseRules& noise) {
  const std::size_t line = expected.number;
  if (expected.part(expected.response) == actual.response_json() &&
      same_array(expected.part(expected.calls), actual.call_items()) &&
      same_array(expected.part(expected.logs), actual.log_items())) {
    RecordResult r;
    r.line = line;
    r.event_id = event_id;
    r.duration_ms = duration_ms;
    return r;
  }
  auto recorded = expected.parse();
  if (!recorded) return {line, std::string(event_id), Outcome::kUnreadable, {}, recorded.error().message, 0};
  auto replayed = format::to_record(actual, duration_ms);
  if (!replayed) {
    return {line,
            std::string(event_id),
            Outcome::kUnreadable,
            {},
            expected.where + ": the replayed record: " + replayed.error().message,
            0};
  }
  RecordResult r = compare_records(*recorded, *replayed, line, noise);
  r.event_id = event_id;
  return r;
}

std::vector<DiffLine> diff_lines(const std::string& expected, const std::string& actual) {
  const auto a = lines_of(expected);
  const auto b = lines_of(actual);
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Longest common subsequence, then the edit script ('=' keep, '-' expected only, '+' actual only).
  std::vector<DiffLine> script;
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
        script.push_back({'=', a[i++]});
        ++j;
      } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        script.push_back({'-', a[i++]});  // removals first, as diff(1) shows them
      } else {
        script.push_back({'+', b[j++]});
      }
    }
  } else {  // too large to align: the whole of one, then the whole of the other
    for (const auto& l : a) script.push_back({'-', l});
    for (const auto& l : b) script.push_back({'+', l});
  }
  return script;
}

std::string unified_diff(const std::string& expected, const std::string& actual, const std::string& from,
                         const std::string& to, std::size_t context) {
  if (expected == actual) return {};
  const std::vector<DiffLine> script = diff_lines(expected, actual);
  // Hunks: changes with `context` kept lines around them.
  std::string out = "--- " + from + "\n+++ " + to + "\n";
  std::size_t k = 0;
  while (k < script.size()) {
    if (script[k].kind == '=') {
      ++k;
      continue;
    }
    std::size_t start = k >= context ? k - context : 0;
    std::size_t end = k;
    std::size_t quiet = 0;
    while (end < script.size() && quiet <= 2 * context) {
      quiet = script[end].kind == '=' ? quiet + 1 : 0;
      ++end;
    }
    end -= quiet > context ? quiet - context : 0;
    std::size_t old_line = 1;
    std::size_t new_line = 1;
    for (std::size_t x = 0; x < start; ++x) {
      if (script[x].kind != '+') ++old_line;
      if (script[x].kind != '-') ++new_line;
    }
    std::size_t old_count = 0;
    std::size_t new_count = 0;
    for (std::size_t x = start; x < end; ++x) {
      if (script[x].kind != '+') ++old_count;
      if (script[x].kind != '-') ++new_count;
    }
    out += fmt::format("@@ -{},{} +{},{} @@\n", old_line, old_count, new_line, new_count);
    for (std::size_t x = start; x < end; ++x) {
      out += script[x].kind == '=' ? ' ' : script[x].kind;
      out += script[x].text;
      out += '\n';
    }
    k = end;
  }
  return out;
}

}  // namespace nimbus::replay
