#include "redis_link.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/epoll.h>

#include <memory>

namespace nimbus::engine::redis {

// hiredis's C callbacks, back to the link that owns the context.
struct LinkCallbacks {
  static Link* of(const redisAsyncContext* c) { return static_cast<Link*>(c->data); }
  static void add_read(void* p) {
    static_cast<Link*>(p)->reading_ = true;
    static_cast<Link*>(p)->update_watch();
  }
  static void del_read(void* p) {
    static_cast<Link*>(p)->reading_ = false;
    static_cast<Link*>(p)->update_watch();
  }
  static void add_write(void* p) {
    static_cast<Link*>(p)->writing_ = true;
    static_cast<Link*>(p)->update_watch();
  }
  static void del_write(void* p) {
    static_cast<Link*>(p)->writing_ = false;
    static_cast<Link*>(p)->update_watch();
  }
  static void cleanup(void* p) {
    auto* link = static_cast<Link*>(p);
    link->reading_ = link->writing_ = false;
    link->update_watch();
  }
  static void connected(const redisAsyncContext* c, int status) {
    Link* link = of(c);
    if (link == nullptr) return;
    if (status != REDIS_OK) {
      link->context_ = nullptr;  // hiredis frees it after this callback
      link->closed(c->errstr);
      return;
    }
    link->up_ = true;
    link->on_state_(true, "");
  }
  static void disconnected(const redisAsyncContext* c, int status) {
    Link* link = of(c);
    if (link == nullptr) return;
    link->context_ = nullptr;  // freed by hiredis after this callback
    link->closed(status == REDIS_OK ? "closed" : c->errstr);
  }
  static void replied(redisAsyncContext* /*c*/, void* reply, void* data) {
    std::unique_ptr<Link::Reply> callback(static_cast<Link::Reply*>(data));
    if (*callback) (*callback)(static_cast<const redisReply*>(reply));
  }
};

Link::Link(EventLoop& loop, std::string host, int port, StateChange on_state)
    : loop_(loop), host_(std::move(host)), port_(port), on_state_(std::move(on_state)) {}

Link::~Link() {
  if (context_ != nullptr) {
    context_->data = nullptr;  // no callbacks into a link that is gone
    on_state_ = [](bool, const std::string&) {};
    redisAsyncFree(context_);  // pending replies are called with null: their callbacks check
  }
  if (watched_fd_ >= 0) loop_.unwatch(watched_fd_);
}

void Link::connect() {
  if (context_ != nullptr) return;
  redisAsyncContext* c = redisAsyncConnect(host_.c_str(), port_);
  if (c == nullptr) {
    closed("out of memory");
    return;
  }
  if (c->err != 0) {
    const std::string why = c->errstr;
    redisAsyncFree(c);
    closed(why);
    return;
  }
  context_ = c;
  c->data = this;
  c->ev.data = this;
  c->ev.addRead = LinkCallbacks::add_read;
  c->ev.delRead = LinkCallbacks::del_read;
  c->ev.addWrite = LinkCallbacks::add_write;
  c->ev.delWrite = LinkCallbacks::del_write;
  c->ev.cleanup = LinkCallbacks::cleanup;
  redisAsyncSetConnectCallback(c, LinkCallbacks::connected);
  redisAsyncSetDisconnectCallback(c, LinkCallbacks::disconnected);
  writing_ = true;  // a non-blocking connect completes when the socket is writable
  update_watch();
}

void Link::command(const std::vector<std::string>& words, Reply reply) {
  if (context_ == nullptr || !up_) {
    if (reply) reply(nullptr);
    return;
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(words.size());
  lengths.reserve(words.size());
  for (const auto& w : words) {
    argv.push_back(w.data());
    lengths.push_back(w.size());
  }
  auto callback = std::make_unique<Reply>(std::move(reply));
  if (redisAsyncCommandArgv(context_, LinkCallbacks::replied, callback.get(), static_cast<int>(argv.size()),
                            argv.data(), lengths.data()) == REDIS_OK) {
    (void)callback.release();  // hiredis hands it back to `replied`
  } else if (*callback) {
    (*callback)(nullptr);
  }
}

void Link::on_ready(std::uint32_t events) {
  if (context_ == nullptr) return;
  redisAsyncContext* c = context_;
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0U) redisAsyncHandleRead(c);
  if (context_ != nullptr && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0U) redisAsyncHandleWrite(c);
}

void Link::update_watch() {
  const int fd = context_ != nullptr ? context_->c.fd : -1;
  const std::uint32_t events = (reading_ ? EPOLLIN : 0U) | (writing_ ? EPOLLOUT : 0U);
  if (fd == watched_fd_ && events == watched_events_) return;
  if (watched_fd_ >= 0) loop_.unwatch(watched_fd_);
  watched_fd_ = -1;
  watched_events_ = 0;
  if (fd >= 0 && events != 0 && loop_.watch(fd, events, this)) {  // level-triggered, as hiredis expects
    watched_fd_ = fd;
    watched_events_ = events;
  }
}

void Link::closed(const std::string& why) {
  up_ = false;
  reading_ = writing_ = false;
  if (watched_fd_ >= 0) loop_.unwatch(watched_fd_);
  watched_fd_ = -1;
  watched_events_ = 0;
  on_state_(false, why);
}

std::string reply_text(const redisReply* reply) {
  if (reply == nullptr) return {};
  if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS ||
      reply->type == REDIS_REPLY_ERROR) {
    return {reply->str, reply->len};
  }
  return {};
}

bool is_error(const redisReply* reply) { return reply == nullptr || reply->type == REDIS_REPLY_ERROR; }

}  // namespace nimbus::engine::redis
