#include "channel.hpp"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace nimbus::engine::shm {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Result<Channel> Channel::create(std::size_t request_capacity, std::size_t response_capacity) noexcept {
  const std::size_t request_offset = sizeof(ChannelHeader);
  const std::size_t response_offset = request_offset + Ring::bytes_for(request_capacity);
  const std::size_t size = response_offset + Ring::bytes_for(response_capacity);
  int fd = memfd_create("nimbus-channel", MFD_CLOEXEC);
  if (fd < 0) return Error{"memfd_create: " + errno_text()};
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    Error e{"ftruncate of the channel to " + std::to_string(size) + " bytes: " + errno_text()};
    close(fd);
    return e;
  }
  void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) {
    Error e{"mmap of the channel: " + errno_text()};
    close(fd);
    return e;
  }
  auto* base = static_cast<std::byte*>(memory);
  auto requests = Ring::create(base + request_offset, request_capacity);
  auto responses = Ring::create(base + response_offset, response_capacity);
  if (!requests || !responses) {
    munmap(memory, size);
    close(fd);
    return !requests ? requests.error() : responses.error();
  }
  auto* h = new (memory) ChannelHeader{};
  h->magic = ChannelHeader::kMagic;
  h->version = ChannelHeader::kVersion;
  h->request_offset = request_offset;
  h->request_capacity = request_capacity;
  h->response_offset = response_offset;
  h->response_capacity = response_capacity;
  return Channel(fd, memory, size, *requests, *responses);
}

Result<Channel> Channel::attach(int fd) noexcept {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return Error{"fstat of the channel: " + errno_text()};
  }
  auto size = static_cast<std::size_t>(st.st_size);
  if (size < sizeof(ChannelHeader)) {
    close(fd);
    return Error{"the channel is smaller than its header"};
  }
  void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (memory == MAP_FAILED) {
    Error e{"mmap of the channel: " + errno_text()};
    close(fd);
    return e;
  }
  const auto* h = static_cast<const ChannelHeader*>(memory);
  auto fail = [&](std::string message) -> Result<Channel> {
    munmap(memory, size);
    close(fd);
    return Error{std::move(message)};
  };
  if (h->magic != ChannelHeader::kMagic) return fail("not a Nimbus channel (bad magic)");
  if (h->version != ChannelHeader::kVersion) {
    return fail("channel version " + std::to_string(h->version) + " is not supported (expected " +
                std::to_string(ChannelHeader::kVersion) + ")");
  }
  if (h->request_offset > size || h->response_offset > size) return fail("channel rings lie outside it");
  auto* base = static_cast<std::byte*>(memory);
  auto requests = Ring::attach(base + h->request_offset, h->response_offset - h->request_offset);
  if (!requests) return fail("request ring: " + requests.error().message);
  auto responses = Ring::attach(base + h->response_offset, size - h->response_offset);
  if (!responses) return fail("response ring: " + responses.error().message);
  return Channel(fd, memory, size, *requests, *responses);
}

Channel::Channel(Channel&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      memory_(std::exchange(other.memory_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      requests_(other.requests_),
      responses_(other.responses_) {}

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    memory_ = std::exchange(other.memory_, nullptr);
    size_ = std::exchange(other.size_, 0);
    requests_ = other.requests_;
    responses_ = other.responses_;
  }
  return *this;
}

Channel::~Channel() { reset(); }

void Channel::reset() noexcept {
  if (memory_ != nullptr) munmap(memory_, size_);
  if (fd_ >= 0) close(fd_);
  memory_ = nullptr;
  fd_ = -1;
}

namespace {

// A one-byte message with room for one descriptor, as SCM_RIGHTS needs.
struct FdMessage {
  char tag = 'C';
  iovec iov{};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  FdMessage() {
    iov = {&tag, 1};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
  ~FdMessage() = default;
};

}  // namespace

Result<void> send_fd(int socket, int fd) noexcept {
  FdMessage m;
  msghdr& msg = m.msg;
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  while (sendmsg(socket, &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return Error{"sending the channel to the worker: " + errno_text()};
  }
  return {};
}

Result<int> receive_fd(int socket) noexcept {
  FdMessage m;
  msghdr& msg = m.msg;
  ssize_t n = 0;
  while ((n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno != EINTR) return Error{"receiving the channel: " + errno_text()};
  }
  if (n == 0) return Error{"receiving the channel: the processor closed the socket"};
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  if (cm == nullptr || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
    return Error{"receiving the channel: no descriptor was sent"};
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

}  // namespace nimbus::engine::shm
