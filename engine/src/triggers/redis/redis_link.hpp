#pragma once
// One connection to Redis through hiredis's asynchronous API, driven by the
// processor's event loop (no thread of its own): commands go out as the
// socket takes them and their replies come back on the loop's thread.

#include <functional>
#include <string>
#include <vector>

#include "nimbus/engine/event_loop.hpp"

struct redisAsyncContext;
struct redisReply;

namespace nimbus::engine::redis {

class Link final : private EventLoop::Watcher {
 public:
  /// Receives a command's reply; null when the connection failed or closed first.
  using Reply = std::function<void(const redisReply*)>;
  /// Told when the connection comes up (`up`) or goes down (`why` says how).
  using StateChange = std::function<void(bool up, const std::string& why)>;

  Link(EventLoop& loop, std::string host, int port, StateChange on_state);
  ~Link() override;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  /// Starts connecting (again); the state change says how it went.
  void connect();
  [[nodiscard]] bool up() const noexcept { return up_; }
  /// Sends a command (its words as given, binary-safe) while up; `reply` gets the answer.
  void command(const std::vector<std::string>& words, Reply reply);

 private:
  void on_ready(std::uint32_t events) override;
  void update_watch();
  void closed(const std::string& why);
  friend struct LinkCallbacks;

  EventLoop& loop_;
  std::string host_;
  int port_;
  StateChange on_state_;
  redisAsyncContext* context_ = nullptr;
  bool up_ = false;
  bool reading_ = false;
  bool writing_ = false;
  int watched_fd_ = -1;
  std::uint32_t watched_events_ = 0;
};

/// A reply's text (a status, an error, a string); empty for other kinds.
[[nodiscard]] std::string reply_text(const redisReply* reply);
/// True when the reply is an error.
[[nodiscard]] bool is_error(const redisReply* reply);

}  // namespace nimbus::engine::redis
