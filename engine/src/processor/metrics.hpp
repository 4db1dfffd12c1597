#pragma once
// The admin port's /metrics: every trigger's figures in Prometheus's text format.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

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

/// The Prometheus text format (version 0.0.4): each metric's HELP and TYPE
/// once, then a line per trigger (label `trigger`).
std::string render_metrics(std::span<const TriggerFigures> triggers, bool ready);

}  // namespace nimbus::detail
