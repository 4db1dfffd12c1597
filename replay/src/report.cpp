#include <fmt/format.h>

#include <ostream>
#include <sstream>

#include "nimbus/replay/replayer.hpp"

namespace nimbus::replay {
namespace {

std::string paint(const std::string& line, bool color) {
  if (!color || line.empty()) return line;
  const char* code = line[0] == '+' ? "32" : line[0] == '-' ? "31" : line[0] == '@' ? "36" : nullptr;
  if (line.starts_with("+++") || line.starts_with("---")) code = "1";
  return code == nullptr ? line : fmt::format("\x1b[{}m{}\x1b[0m", code, line);
}

}  // namespace

void Report::add(RecordResult result) {
  switch (result.outcome) {
    case Outcome::kPassed:
      ++summary_.passed;
      if (result.noise_ignored) ++summary_.noise_ignored;
      if (keep_passed_) findings_.push_back(std::move(result));
      return;
    case Outcome::kChanged:
      ++summary_.changed;
      break;
    case Outcome::kUnreadable:
      ++summary_.unreadable;
      break;
  }
  findings_.push_back(std::move(result));
}

void Report::print(std::ostream& out, bool color) const {
  for (const auto& r : findings_) {
    if (r.outcome == Outcome::kPassed) continue;
    if (r.outcome == Outcome::kUnreadable) {
      out << (color ? "\x1b[1;31m" : "") << "unreadable: " << r.error << (color ? "\x1b[0m" : "") << '\n';
      continue;
    }
    out << (color ? "\x1b[1;33m" : "") << "changed: event " << r.event_id << " (" << tape_ << ":" << r.line
        << ")" << (color ? "\x1b[0m" : "") << '\n';
    for (const auto& d : r.differences) {
      std::istringstream diff(unified_diff(d.expected, d.actual, from_ + " " + d.part, to_ + " " + d.part));
      for (std::string line; std::getline(diff, line);) out << "  " << paint(line, color) << '\n';
    }
  }
  const std::size_t total = summary_.passed + summary_.changed + summary_.unreadable;
  out << fmt::format("{} records: {} passed, {} changed, {} unreadable", total, summary_.passed,
                     summary_.changed, summary_.unreadable);
  if (summary_.noise_ignored > 0)
    out << fmt::format(" ({} passed only with noise ignored)", summary_.noise_ignored);
  out << '\n';
}

Json Report::to_json(bool stopped_early) const {
  Json findings = Json::array();
  for (const auto& r : findings_) {
    if (r.outcome == Outcome::kPassed) continue;
    Json f{{"line", r.line},
           {"event", r.event_id},
           {"outcome", r.outcome == Outcome::kChanged ? "changed" : "unreadable"}};
    if (!r.error.empty()) f["error"] = r.error;
    Json diffs = Json::array();
    for (const auto& d : r.differences) {
      diffs.push_back(
          {{"part", d.part},
           {"expected", Json::parse(d.expected)},
           {"actual", Json::parse(d.actual)},
           {"diff", unified_diff(d.expected, d.actual, from_ + " " + d.part, to_ + " " + d.part)}});
    }
    if (!diffs.empty()) f["differences"] = std::move(diffs);
    findings.push_back(std::move(f));
  }
  return Json{{"tape", tape_},
              {"against", against_},
              {"summary",
               {{"passed", summary_.passed},
                {"changed", summary_.changed},
                {"unreadable", summary_.unreadable},
                {"noiseIgnored", summary_.noise_ignored}}},
              {"stoppedEarly", stopped_early},
              {"findings", std::move(findings)}};
}

void Report::write_junit(std::ostream& out) const {
  auto xml = [](std::string_view s) {
    std::string o;
    for (char c : s) {
      switch (c) {
        case '&':
          o += "&amp;";
          break;
        case '<':
          o += "&lt;";
          break;
        case '>':
          o += "&gt;";
          break;
        case '"':
          o += "&quot;";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
            o += ' ';  // not allowed in XML 1.0
          } else {
            o += c;
          }
      }
    }
    return o;
  };
  const std::size_t total = summary_.passed + summary_.changed + summary_.unreadable;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << fmt::format(R"(<testsuite name="{}" tests="{}" failures="{}" errors="{}">)", xml("replay " + tape_),
                     total, summary_.changed, summary_.unreadable)
      << '\n';
  for (const auto& r : findings_) {
    const std::string name = r.event_id.empty() ? "line " + std::to_string(r.line) : r.event_id;
    out << fmt::format(R"(  <testcase classname="{}" name="{}" time="{:.6f}">)", xml(tape_), xml(name),
                       r.duration_ms / 1000.0);
    if (r.outcome == Outcome::kChanged) {
      std::string diffs;
      for (const auto& d : r.differences) {
        diffs += unified_diff(d.expected, d.actual, from_ + " " + d.part, to_ + " " + d.part);
      }
      out << fmt::format(R"x(<failure message="{} changed (line {})">{}</failure>)x", xml(name), r.line,
                         xml(diffs));
    } else if (r.outcome == Outcome::kUnreadable) {
      out << fmt::format(R"(<error message="{}"/>)", xml(r.error));
    }
    out << "</testcase>\n";
  }
  out << "</testsuite>\n";
}

}  // namespace nimbus::replay
