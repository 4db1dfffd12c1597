#pragma once
// The admin port's /metrics: every trigger's figures in Prometheus's text format.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "nimbus/engine/metric_totals.hpp"
#include "nimbus/engine/trigger.hpp"

namespace nimbus::detail {

/// One trigger's figures: its events (`TriggerStats`) and its pool's gauges.
struct TriggerFigures {
  std::string_view trigger;
  const engine::TriggerStats* stats = nullptr;
  std::uint64_t worker_restarts = 0;
  std::size_t queue_depth = 0;  // events given to workers and not yet answered
  int workers = 0;
};

/// One log sink's figures.
struct SinkFigures {
  std::string_view kind;  // "http", ...
  std::size_t index = 0;  // its place among the sinks
  std::uint64_t dropped = 0;
};

/// The function's own metrics (`ctx.metrics()`), summed across workers.
struct FunctionFigures {
  std::string_view function;  // its name: the label `function` of each series
  const engine::MetricTotals* totals = nullptr;
};

/// The Prometheus text format (version 0.0.4): each metric's HELP and TYPE
/// once, then a line per trigger (label `trigger`) and per log sink (labels
/// `sink`, `index`); then the function's metrics, each name's TYPE once.
std::string render_metrics(std::span<const TriggerFigures> triggers, std::span<const SinkFigures> sinks,
                           bool ready, const FunctionFigures& function = {});

}  // namespace nimbus::detail
