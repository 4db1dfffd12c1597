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

// Text made safe inside HTML and XML elements and attributes. Control
// characters other than tab and newline are not allowed in XML 1.0: spaces.
std::string markup(std::string_view s) {
  std::string o;
  o.reserve(s.size());
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
        o += static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' ? ' ' : c;
    }
  }
  return o;
}

// Rows of a side-by-side diff: kept lines on both sides, a run of removals
// beside the run of additions that replaced it.
void side_by_side(std::ostream& out, const std::vector<DiffLine>& script) {
  auto cell = [&](const char* cls, const std::string* line) {
    if (line == nullptr) {
      out << "<td class=\"none\"></td>";
    } else {
      out << "<td class=\"" << cls << "\">" << markup(*line) << "</td>";
    }
  };
  std::size_t k = 0;
  while (k < script.size()) {
    if (script[k].kind == '=') {
      out << "<tr>";
      cell("same", &script[k].text);
      cell("same", &script[k].text);
      out << "</tr>\n";
      ++k;
      continue;
    }
    std::vector<const std::string*> removed;
    std::vector<const std::string*> added;
    while (k < script.size() && script[k].kind == '-') removed.push_back(&script[k++].text);
    while (k < script.size() && script[k].kind == '+') added.push_back(&script[k++].text);
    for (std::size_t i = 0; i < std::max(removed.size(), added.size()); ++i) {
      out << "<tr>";
      cell("del", i < removed.size() ? removed[i] : nullptr);
      cell("add", i < added.size() ? added[i] : nullptr);
      out << "</tr>\n";
    }
  }
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
    const char* outcome = r.outcome == Outcome::kPassed    ? "passed"
                          : r.outcome == Outcome::kChanged ? "changed"
                                                           : "unreadable";
    Json f{{"line", r.line}, {"event", r.event_id}, {"outcome", outcome}, {"durationMs", r.duration_ms}};
    if (r.noise_ignored) f["noiseIgnored"] = true;
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
  const std::size_t total = summary_.passed + summary_.changed + summary_.unreadable;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << fmt::format(R"(<testsuite name="{}" tests="{}" failures="{}" errors="{}">)",
                     markup("replay " + tape_), total, summary_.changed, summary_.unreadable)
      << '\n';
  for (const auto& r : findings_) {
    const std::string name = r.event_id.empty() ? "line " + std::to_string(r.line) : r.event_id;
    out << fmt::format(R"(  <testcase classname="{}" name="{}" time="{:.6f}">)", markup(tape_), markup(name),
                       r.duration_ms / 1000.0);
    if (r.outcome == Outcome::kChanged) {
      std::string diffs;
      for (const auto& d : r.differences) {
        diffs += unified_diff(d.expected, d.actual, from_ + " " + d.part, to_ + " " + d.part);
      }
      out << fmt::format(R"x(<failure message="{} changed (line {})">{}</failure>)x", markup(name), r.line,
                         markup(diffs));
    } else if (r.outcome == Outcome::kUnreadable) {
      out << fmt::format(R"(<error message="{}"/>)", markup(r.error));
    }
    out << "</testcase>\n";
  }
  out << "</testsuite>\n";
}

void Report::write_html(std::ostream& out) const {
  const std::size_t total = summary_.passed + summary_.changed + summary_.unreadable;
  out << R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nimbus replay: )"
      << markup(tape_) << R"(</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; } h3 { font-size: 1em; color: #555; }
.summary span { display: inline-block; padding: .2em .7em; margin-right: .5em; border-radius: 1em; }
.passed { background: #e3f6e3; } .changed { background: #fdf1d6; } .unreadable { background: #fbe0e0; }
table.diff { border-collapse: collapse; width: 100%; table-layout: fixed; font: 12px/1.35 ui-monospace, monospace; }
table.diff th { text-align: left; background: #f2f2f2; padding: .3em .5em; }
table.diff td { white-space: pre-wrap; word-break: break-all; padding: 0 .5em; vertical-align: top; }
td.del { background: #fdd; } td.add { background: #dfd; } td.none { background: #f6f6f6; }
.error { color: #a00; font-family: ui-monospace, monospace; }
</style></head><body>
)";
  out << "<h1>nimbus replay</h1>\n<p>Tape <code>" << markup(tape_) << "</code> against <code>"
      << markup(against_) << "</code></p>\n";
  out << fmt::format(
      R"(<p class="summary"><span class="passed">{} passed</span><span class="changed">{} changed</span>)"
      R"(<span class="unreadable">{} unreadable</span> of {} records{}</p>)",
      summary_.passed, summary_.changed, summary_.unreadable, total,
      summary_.noise_ignored > 0 ? fmt::format(" ({} passed only with noise ignored)", summary_.noise_ignored)
                                 : std::string());
  out << '\n';
  for (const auto& r : findings_) {
    if (r.outcome == Outcome::kPassed) continue;
    if (r.outcome == Outcome::kUnreadable) {
      out << "<h2 class=\"unreadable\">Unreadable: line " << r.line << "</h2>\n<p class=\"error\">"
          << markup(r.error) << "</p>\n";
      continue;
    }
    out << "<h2 class=\"changed\">Changed: event " << markup(r.event_id) << " (line " << r.line << ")</h2>\n";
    for (const auto& d : r.differences) {
      out << "<h3>" << markup(d.part) << "</h3>\n<table class=\"diff\"><tr><th>" << markup(from_)
          << "</th><th>" << markup(to_) << "</th></tr>\n";
      side_by_side(out, diff_lines(d.expected, d.actual));
      out << "</table>\n";
    }
  }
  if (summary_.changed + summary_.unreadable == 0) out << "<p>Nothing changed.</p>\n";
  out << "</body></html>\n";
}

}  // namespace nimbus::replay
