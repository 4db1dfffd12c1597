#include "nimbus/replay/engine_replay.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace nimbus::replay {

struct EngineReplay::Pending {
  format::TapeLine record;
  std::string event_id;
  std::array<format::RecordText, 2> actual;  // the second run only when learning
  std::array<double, 2> duration_ms{};
  std::size_t runs_left = 0;
  std::optional<RecordResult> result;
};

Result<std::unique_ptr<EngineReplay>> EngineReplay::start(engine::DispatcherOptions dispatch,
                                                          CompareOptions compare,
                                                          std::vector<std::string> redacted_headers,
                                                          Sink sink, std::size_t window,
                                                          bool learn) noexcept {
  std::unique_ptr<EngineReplay> r;
  try {
    r.reset(new EngineReplay());
  } catch (const std::bad_alloc&) {
    return Error{"out of memory"};
  }
  r->compare_ = std::move(compare);
  r->redacted_headers_ = std::move(redacted_headers);
  r->sink_ = std::move(sink);
  r->window_ = std::max<std::size_t>(window, 1);
  r->learn_ = learn;
  r->notify_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (r->notify_fd_ < 0) return Error{"eventfd failed"};
  dispatch.notify_fd = r->notify_fd_;
  dispatch.worker.redacted_headers = r->redacted_headers_;  // the workers write what happened
  dispatch.tap = r.get();
  auto d = engine::Dispatcher::start(std::move(dispatch));
  if (!d) return d.error();
  r->dispatcher_ = std::move(*d);
  return r;
}

EngineReplay::~EngineReplay() {
  dispatcher_.reset();  // waits for what is in flight first
  if (notify_fd_ >= 0) close(notify_fd_);
}

void EngineReplay::add(format::TapeLine record, const Event& event, std::string event_id) {
  while (dispatcher_->in_flight() + dispatcher_->records_due() >= window_) pump();
  auto p = std::make_unique<Pending>();
  p->record = std::move(record);
  p->event_id = std::move(event_id);
  for (auto& a : p->actual) a = format::RecordText(redacted_headers_);
  const std::size_t runs = learn_ ? 2 : 1;
  p->runs_left = runs;
  Pending* pending = p.get();
  queue_.push_back(std::move(p));
  engine::RequestOptions options;
  options.recorded_calls = pending->record.calls_json();
  options.lenient = compare_.lenient;
  for (std::size_t run = 0; run < runs; ++run) {
    submitting_ = pending;
    submitting_run_ = run;
    dispatcher_->submit(
        event, [](const Response&) {}, options);  // the tap's `end` sees the response
    if (submitting_ != nullptr) {                 // refused before it reached a worker (too large)
      pending->result = RecordResult{pending->record.number,
                                     pending->event_id,
                                     Outcome::kUnreadable,
                                     {},
                                     pending->record.where + ": the event does not fit the worker channel",
                                     0};
      pending->runs_left = 0;
      submitting_ = nullptr;
      break;
    }
  }
  // Let the workers start on it now, not at the next pump.
  dispatcher_->flush();
  dispatcher_->poll();
  deliver();
}

void EngineReplay::add(RecordResult result) {
  auto p = std::make_unique<Pending>();
  p->result = std::move(result);
  queue_.push_back(std::move(p));
  deliver();
}

void EngineReplay::finish() {
  while (dispatcher_->in_flight() + dispatcher_->records_due() > 0) pump();
  deliver();
}

bool EngineReplay::begin(std::uint64_t id, const Event& /*event*/) {
  if (submitting_ == nullptr) return false;
  by_request_[id] = {submitting_, submitting_run_};
  submitting_ = nullptr;
  return true;
}

template <class Fill>
void EngineReplay::ended(std::uint64_t id, Fill&& fill) {
  auto it = by_request_.find(id);
  if (it == by_request_.end()) return;
  auto [pending, run] = it->second;
  Pending& p = *pending;
  by_request_.erase(it);
  if (!fill(p.actual[run], p.duration_ms[run]) && !p.result) {
    p.result = RecordResult{p.record.number,
                            p.event_id,
                            Outcome::kUnreadable,
                            {},
                            p.record.where + ": the worker exited after answering, before sending the record",
                            0};
  }
  if (--p.runs_left > 0 || p.result) return;
  if (learn_) {
    auto a = format::to_record(p.actual[0], 0);
    auto b = format::to_record(p.actual[1], 0);
    if (!a || !b) {  // a worker's record damaged on the way: nothing to learn from it
      p.result = RecordResult{p.record.number,
                              p.event_id,
                              Outcome::kUnreadable,
                              {},
                              p.record.where + ": the replayed record: " + (!a ? a : b).error().message,
                              0};
      return;
    }
    for (auto& path : NoiseRules::learn(*a, *b)) {
      if (std::find(learned_.begin(), learned_.end(), path) == learned_.end()) learned_.push_back(path);
    }
    p.result = RecordResult{p.record.number, p.event_id, Outcome::kPassed, {}, {}, 0};
  } else {
    p.result = compare_line(p.record, p.actual[0], p.duration_ms[0], p.event_id, compare_.noise);
  }
}

void EngineReplay::record(std::uint64_t id, const engine::WorkerRecord& record) {
  ended(id, [&](format::RecordText& actual, double& duration_ms) {
    actual.assign(record.parts);  // what the worker recorded: the calls and logs, and the response
    duration_ms = std::chrono::duration<double, std::milli>(record.took).count();
    return true;
  });
}

void EngineReplay::unrecorded(std::uint64_t id, std::span<const std::byte> /*event*/,
                              const Response& response, std::chrono::nanoseconds took) {
  ended(id, [&](format::RecordText& actual, double& duration_ms) {
    actual.response(response);  // the dispatcher answered (a crash, a timeout): only the response
    duration_ms = std::chrono::duration<double, std::milli>(took).count();
    return true;
  });
}

void EngineReplay::lost(std::uint64_t id) {
  ended(id, [](format::RecordText& /*actual*/, double& /*duration_ms*/) { return false; });
}

void EngineReplay::pump() {
  dispatcher_->flush();
  if (dispatcher_->poll() == 0 && !dispatcher_->answers_waiting()) {
    if (dispatcher_->prepare_sleep()) {
      pollfd p{notify_fd_, POLLIN, 0};
      ::poll(&p, 1, 5);  // a few ms at most: timeouts and crashes are noticed by polling
      dispatcher_->end_sleep();
      eventfd_t value = 0;
      eventfd_read(notify_fd_, &value);
    }
  }
  deliver();
}

void EngineReplay::deliver() {
  while (!queue_.empty() && queue_.front()->result) {
    sink_(std::move(*queue_.front()->result));
    queue_.pop_front();
  }
}

}  // namespace nimbus::replay
