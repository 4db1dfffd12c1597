#include "nimbus/engine/dispatcher.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "in_flight.hpp"
#include "messages.hpp"

namespace nimbus::engine {

using workers::InFlight;

struct Dispatcher::Slot {
  struct Pending {
    Completion done;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::steady_clock::time_point submitted;
    bool followed = false;  // by the tap
  };
  using PendingEvents = InFlight<Pending>;
  int id = 0;
  std::mutex mutex;  // guards worker replacement, the request ring's producer side and `pending`
  std::unique_ptr<Worker> worker;
  PendingEvents pending;  // by request id: submission order
  std::atomic<std::size_t> load{0};
  // Followed events answered whose records have not come yet.
  std::atomic<std::size_t> records_due{0};
  std::string record_text;                             // a record arriving in several parts, so far
  std::vector<MetricSample> metrics;                   // ctx.metrics() as its worker last sent them
  std::thread poller;                                  // threaded mode only
  bool unflushed = false;                              // event-loop mode: submitted since the last flush
  std::chrono::steady_clock::time_point next_restart;  // after a failed restart, when to try again
  std::chrono::steady_clock::time_point next_exit_check;

  // Ends a pending event with its worker's `response`, to be delivered from `ready`; under `mutex`.
  void complete(const PendingEvents::iterator& it, const workers::ResponseView& response, Answers& ready) {
    if (it->second.followed) records_due.fetch_add(1, std::memory_order_relaxed);  // the record follows
    response.copy_to(ready.add(std::move(it->second.done)).second);
    load.fetch_sub(1, std::memory_order_relaxed);
    pending.erase(it);
  }

  // Ends a pending event with the dispatcher's own `response` (no record comes); under `mutex`.
  // `event`: its bytes, for the tap.
  PendingEvents::iterator fail(const PendingEvents::iterator& it, Response response,
                               std::span<const std::byte> event, DispatchTap* tap, Answers& ready) {
    if (it->second.followed) {
      tap->unrecorded(it->first, event, response, std::chrono::steady_clock::now() - it->second.submitted);
    }
    ready.add(std::move(it->second.done)).second = std::move(response);
    load.fetch_sub(1, std::memory_order_relaxed);
    return pending.erase(it);
  }

  // A part of a record from the worker; the tap gets the record when it is whole. Under `mutex`.
  void record_part(const workers::RecordPartView& part, DispatchTap* tap) {
    const workers::RecordHeader& h = part.header;
    const bool last = (h.flags & workers::RecordHeader::kMore) == 0U;
    std::string_view text = part.text;
    if (!record_text.empty() || !last) {  // a record too large for one message
      record_text += part.text;
      if (!last) return;
      text = record_text;
    }
    if (records_due.load(std::memory_order_relaxed) > 0) records_due.fetch_sub(1, std::memory_order_relaxed);
    auto parts = text.size() == h.text_size
                     ? format::record_parts_in(text, h.event_size, h.calls_size, h.logs_size, h.response_size)
                     : std::nullopt;
    if (tap != nullptr) {
      if (parts) {
        tap->record(h.request_id, WorkerRecord{text, *parts, std::chrono::nanoseconds(h.handler_ns)});
      } else {
        tap->lost(h.request_id);  // not a record: never written to a tape
      }
    }
    record_text.clear();
  }
};

std::pair<Dispatcher::Completion, Response>& Dispatcher::Answers::add(Completion done) {
  if (size_ == items_.size()) items_.emplace_back();
  auto& item = items_[size_++];
  item.first = std::move(done);
  return item;
}

void Dispatcher::Answers::deliver() {
  for (std::size_t i = 0; i < size_; ++i) {
    Completion done = std::move(items_[i].first);
    items_[i].first = nullptr;
    done(items_[i].second);
  }
  size_ = 0;
}

Result<std::unique_ptr<Dispatcher>> Dispatcher::start(DispatcherOptions options) noexcept {
  try {
    if (options.num_workers < 1) return Error{"numWorkers must be at least 1"};
    std::unique_ptr<Dispatcher> d(new Dispatcher());
    d->o_ = std::move(options);
    d->next_id_ = d->o_.first_request_id;
    for (int i = 0; i < d->o_.num_workers; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->id = i;
      WorkerOptions wo = d->o_.worker;
      wo.worker_id = i;
      wo.notify_fd = d->o_.notify_fd;
      auto w = Worker::start(wo);
      if (!w) return Error{"worker " + std::to_string(i) + ": " + w.error().message};
      slot->worker = std::move(*w);
      d->forward_init_logs(i, *slot->worker);
      d->slots_.push_back(std::move(slot));
    }
    d->o_.worker.notify_fd = d->o_.notify_fd;
    for (auto& slot : d->slots_) {
      if (d->o_.notify_fd >= 0) break;  // event-loop mode: the owner polls
      Slot* s = slot.get();
      Dispatcher* self = d.get();
      s->poller = std::thread([self, s] { self->poll_loop(*s); });
    }
    return d;
  } catch (const std::exception& e) {
    return Error{std::string("starting workers: ") + e.what()};
  }
}

void Dispatcher::set_log_level(LogLevel level) {
  live_level_.store(static_cast<int>(level));
  for (auto& slot : slots_) {
    std::lock_guard lock(slot->mutex);
    slot->worker->set_log_level(level);
  }
}

LogLevel Dispatcher::log_level() const noexcept {
  const int live = live_level_.load();
  return live >= 0 ? static_cast<LogLevel>(live) : o_.worker.log_level;
}

LogRecord LogEntry::to_record() const {
  return workers::LogView{0, level, message, fields_json, logger, time, event_id, trace_id}.to_record();
}

void Dispatcher::forward_init_logs(int worker, const Worker& w) const {
  if (!o_.on_log) return;
  for (const auto& rec : w.init_logs()) {
    std::string fields = rec.fields.empty() ? std::string() : rec.fields.dump();
    o_.on_log(LogEntry{.worker = worker,
                       .level = rec.level,
                       .time = rec.time,
                       .message = rec.message,
                       .fields_json = fields,
                       .logger = rec.logger});
  }
}

Dispatcher::~Dispatcher() {
  auto deadline = std::chrono::steady_clock::now() + o_.event_timeout + std::chrono::seconds(1);
  while (in_flight() + records_due() > 0 && std::chrono::steady_clock::now() < deadline) {
    if (o_.notify_fd >= 0) {
      flush();
      poll();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stopping_ = true;
  for (auto& s : slots_) {
    if (s->poller.joinable()) s->poller.join();
  }
  for (auto& s : slots_) s->worker->shut_down(std::chrono::seconds(5));
  for (auto& s : slots_) {
    std::lock_guard lock(s->mutex);
    drain(*s, ready_);  // the termination callbacks' logs
  }
  ready_ = Answers();
}

std::size_t Dispatcher::in_flight() const noexcept {
  std::size_t n = 0;
  for (const auto& s : slots_) n += s->load.load(std::memory_order_relaxed);
  return n;
}

std::size_t Dispatcher::records_due() const noexcept {
  std::size_t n = 0;
  for (const auto& s : slots_) n += s->records_due.load(std::memory_order_relaxed);
  return n;
}

void Dispatcher::submit(const Event& event, Completion done, const RequestOptions& options) {
  Slot* best = slots_.front().get();
  for (auto& s : slots_) {
    if (s->load.load(std::memory_order_relaxed) < best->load.load(std::memory_order_relaxed)) best = s.get();
  }
  submit_to(*best, event, std::move(done), options);
}

void Dispatcher::submit_in_lane(std::uint64_t lane, const Event& event, Completion done) {
  submit_to(*slots_[lane % slots_.size()], event, std::move(done), {});
}

void Dispatcher::submit_to(Slot& slot, const Event& event, Completion done, const RequestOptions& options) {
  const std::size_t size = event.bytes().size() + options.recorded_calls.value_or(std::string_view()).size();
  if (size > slot.worker->max_event_bytes()) {  // it would never fit in the ring
    done(Response::text("event of " + std::to_string(size) + " bytes exceeds the worker channel's limit of " +
                            std::to_string(slot.worker->max_event_bytes()) + " bytes",
                        413));
    return;
  }
  const std::uint64_t id = next_id_.fetch_add(1);
  const auto now = o_.clock ? o_.clock() : std::chrono::steady_clock::now();
  const auto deadline = now + o_.event_timeout;
  RequestOptions request = options;
  const bool followed = o_.tap != nullptr && o_.tap->begin(id, event);
  request.record = followed;
  std::unique_lock lock(slot.mutex);
  while (!slot.worker->try_submit(id, event, deadline, request)) {
    slot.worker->flush();
    // In event-loop mode nobody else reads the answers: take them now (to be
    // completed by the next poll), or a worker waiting for answer space and
    // this loop waiting for request space would wait for each other.
    if (o_.notify_fd >= 0) drain(slot, ready_);
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::microseconds(50));  // the ring is full: the worker is behind
    lock.lock();
  }
  slot.pending.emplace(id, Slot::Pending{std::move(done), deadline, now, followed});
  slot.load.fetch_add(1, std::memory_order_relaxed);
  if (o_.notify_fd >= 0) {
    slot.unflushed = true;
  } else {
    slot.worker->flush();
  }
}

void Dispatcher::drain(Slot& s, Answers& ready) const {
  s.worker->poll(
      [&](const workers::ResponseView& r) {
        auto it = s.pending.find(r.request_id);
        if (it == s.pending.end()) return;
        s.complete(it, r, ready);
      },
      [&](const workers::LogView& l) {
        if (o_.on_log) {
          o_.on_log(LogEntry{.worker = s.id,
                             .level = l.level,
                             .time = l.time,
                             .message = l.message,
                             .fields_json = l.fields_json,
                             .logger = l.logger,
                             .event_id = l.event_id,
                             .trace_id = l.trace_id});
        }
      },
      [&](const workers::RecordPartView& part) { s.record_part(part, o_.tap); });
  for (auto& q : s.worker->take_stream_acks()) {
    if (o_.on_stream_ack) o_.on_stream_ack(q);
  }
  if (auto m = s.worker->take_metrics()) s.metrics = std::move(*m);
}

MetricTotals Dispatcher::metrics() const {
  MetricTotals totals;
  {
    std::lock_guard lock(retired_mutex_);
    totals.add(retired_metrics_);
  }
  for (const auto& s : slots_) {
    std::lock_guard lock(s->mutex);
    totals.add(s->metrics);
  }
  return totals;
}

void Dispatcher::poll_loop(Slot& s) {
  Answers ready;
  while (!stopping_.load()) {
    bool active = service(s, ready);
    ready.deliver();
    if (active) continue;
    Worker* w = nullptr;
    {
      std::lock_guard lock(s.mutex);
      w = s.worker.get();
    }
    w->wait(std::chrono::microseconds(1000));
  }
}

std::size_t Dispatcher::poll() {
  std::size_t completed = 0;
  for (auto& s : slots_) {  // ready_ may already hold answers drained by a submit that waited for space
    service(*s, ready_);
    completed += ready_.size();
    ready_.deliver();
  }
  return completed;
}

void Dispatcher::flush() noexcept {
  for (auto& s : slots_) {
    if (s->unflushed) {
      s->unflushed = false;
      s->worker->flush();
    }
  }
}

bool Dispatcher::prepare_sleep() noexcept {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i]->worker->prepare_sleep()) {
      for (std::size_t j = 0; j < i; ++j) slots_[j]->worker->end_sleep();
      return false;
    }
  }
  return true;
}

bool Dispatcher::answers_waiting() const noexcept {
  return std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->worker->has_messages(); });
}

void Dispatcher::end_sleep() noexcept {
  for (auto& s : slots_) s->worker->end_sleep();
}

bool Dispatcher::service(Slot& s, Answers& ready) {
  Worker* w = nullptr;
  {
    std::lock_guard lock(s.mutex);
    w = s.worker.get();
    drain(s, ready);
  }
  const bool active = !ready.empty();
  const bool timed_out = kill_if_stuck(s, *w);
  // Whether the worker died costs a system call: ask at most once a millisecond.
  const auto now = std::chrono::steady_clock::now();
  if (!timed_out && now < s.next_exit_check) return active;
  s.next_exit_check = now + std::chrono::milliseconds(1);
  std::optional<std::string> exit = w->check_exit();
  if (timed_out && !exit) {
    for (int i = 0; i < 1000 && !(exit = w->check_exit()); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!exit) return active;
  if (std::chrono::steady_clock::now() < s.next_restart) return active;
  replace_dead_worker(s, *w, timed_out ? std::nullopt : exit, ready);
  return true;
}

bool Dispatcher::kill_if_stuck(Slot& s, Worker& w) {
  std::lock_guard lock(s.mutex);
  // Only an event the handler is running: one still queued is answered 504 by the worker itself.
  if (!s.pending.empty() && s.pending.begin()->second.deadline < std::chrono::steady_clock::now() &&
      w.running() == s.pending.begin()->first) {
    w.kill();  // the death is handled as any other, with a 504 for the event
    return true;
  }
  return false;
}

void Dispatcher::replace_dead_worker(Slot& s, Worker& dead, const std::optional<std::string>& crash,
                                     Answers& ready) {
  std::lock_guard lock(s.mutex);
  drain(s, ready);  // answers, logs and records that arrived before the death come first
  {
    // What it counted stays counted (its gauges go with it); the replacement counts from zero.
    std::lock_guard retired(retired_mutex_);
    retired_metrics_.add(s.metrics, false);
  }
  s.metrics.clear();
  auto unanswered = dead.unanswered();
  // Followed events it answered without sending their records (it died between the two).
  s.record_text.clear();
  for (const auto& u : unanswered) {
    if (u.record && !s.pending.contains(u.request_id) && o_.tap != nullptr) o_.tap->lost(u.request_id);
  }
  s.records_due.store(0, std::memory_order_relaxed);
  auto fail = [&](const Slot::PendingEvents::iterator& it, Response response) {
    std::span<const std::byte> event;
    for (const auto& u : unanswered) {
      if (u.request_id == it->first) event = u.event;
    }
    return s.fail(it, std::move(response), event, o_.tap, ready);
  };
  if (!s.pending.empty()) {  // the event it died on: a crash's 500, or a timeout's 504
    const std::uint64_t failed_id = s.pending.begin()->first;
    fail(s.pending.begin(),
         crash ? Response::text("worker " + std::to_string(s.id) + " " + *crash +
                                    " while handling this event; it was restarted",
                                500)
               : Response::text("event timed out after " + std::to_string(o_.event_timeout.count()) +
                                    " ms; worker " + std::to_string(s.id) + " was restarted",
                                504));
    std::erase_if(unanswered, [&](const Worker::Unanswered& u) { return u.request_id == failed_id; });
  }
  WorkerOptions wo = o_.worker;
  wo.worker_id = s.id;
  auto replacement = Worker::start(wo);
  restarts_.fetch_add(1);
  if (!replacement) {
    // Without a worker, everything queued on this one fails; the next attempt waits a little.
    while (!s.pending.empty()) {
      fail(s.pending.begin(), Response::text("worker " + std::to_string(s.id) +
                                                 " could not be restarted: " + replacement.error().message,
                                             503));
    }
    s.next_restart = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    return;
  }
  s.worker = std::move(*replacement);
  if (const int live = live_level_.load(); live >= 0) s.worker->set_log_level(static_cast<LogLevel>(live));
  forward_init_logs(s.id, *s.worker);
  // The events queued behind the failed one never started: give them to the new worker.
  const auto requeue_time = std::chrono::steady_clock::now();
  for (const auto& u : unanswered) {
    auto pending = s.pending.find(u.request_id);
    if (pending == s.pending.end()) continue;
    if (pending->second.deadline < requeue_time) {  // it ran out of time waiting in the dead worker's queue
      fail(pending, Response::text("event timed out after " + std::to_string(o_.event_timeout.count()) +
                                       " ms waiting in worker " + std::to_string(s.id) + "'s queue",
                                   504));
      continue;
    }
    auto view = Event::from_bytes(u.event);
    if (!view || !s.worker->try_submit(u.request_id, *view, u.deadline, u.options())) {
      fail(pending, Response::text("event lost in a worker restart", 503));
    }
  }
  // Anything else this worker held is accounted for, never left waiting.
  for (auto it = s.pending.begin(); it != s.pending.end();) {
    const bool requeued = std::any_of(unanswered.begin(), unanswered.end(),
                                      [&](const Worker::Unanswered& u) { return u.request_id == it->first; });
    it = requeued ? std::next(it) : fail(it, Response::text("event lost in a worker restart", 503));
  }
  s.worker->flush();
}

}  // namespace nimbus::engine
