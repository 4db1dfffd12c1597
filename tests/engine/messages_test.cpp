// The worker channel's response message: written by a worker, read in place by
// the dispatcher, and copied over a response it keeps across events.
#include "../../engine/src/workers/messages.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace {

using nimbus::Response;
using nimbus::engine::workers::read_response;
using nimbus::engine::workers::response_size;
using nimbus::engine::workers::write_response;

std::vector<std::byte> written(std::uint64_t id, const Response& r) {
  std::vector<std::byte> out(response_size(r));
  write_response(out, id, r);
  return out;
}

TEST(ResponseMessageTest, ReadsBackWhatWasWritten) {
  const Response r = Response::text("not here", 404).with_header("Retry-After", "3").with_header("X-A", "");
  const auto bytes = written(7, r);
  auto view = read_response(bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->request_id, 7U);
  EXPECT_EQ(view->to_response(), r);
}

TEST(ResponseMessageTest, CopyOverwritesEveryPartAndReusesTheStorage) {
  Response kept = Response::bytes(std::string(200, 'x'), "application/very-long-content-type+json", 500)
                      .with_header("X-Old", "1")
                      .with_header("X-Older", "2");
  const std::string* body_before = &kept.body();
  const char* storage_before = kept.body().data();

  const Response next = Response::text("ok").with_header("X-Nuclio-Stream-No-Ack", "true");
  const auto bytes = written(1, next);
  read_response(bytes)->copy_to(kept);
  EXPECT_EQ(kept, next);  // status, content type, body, and only the new headers
  EXPECT_EQ(&kept.body(), body_before);
  EXPECT_EQ(kept.body().data(), storage_before);  // the shorter body fit: no new allocation

  const auto empty = written(2, Response::empty(204));
  read_response(empty)->copy_to(kept);
  EXPECT_EQ(kept, Response::empty(204));
  EXPECT_TRUE(kept.headers().empty());
}

TEST(ResponseMessageTest, RefusesTruncatedMessages) {
  const auto bytes = written(3, Response::text("hello").with_header("X-A", "b"));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(read_response(std::span<const std::byte>(bytes.data(), n))) << n << " bytes";
  }
}

TEST(MetricsMessageTest, ReadsBackEverySeriesAndRefusesTruncatedOnes) {
  nimbus::Metrics m;
  m.counter("orders_total", {{"kind", "book"}}).inc(3);
  m.gauge("queue").set(-2.5);
  m.histogram("size", {}, {1, 10}).observe(5);
  const auto samples = m.snapshot();
  std::string text;
  nimbus::engine::workers::write_metrics(text, samples);
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()),  // NOLINT
                                         text.size());
  auto back = nimbus::engine::workers::read_metrics(bytes);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 3U);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& a = samples[i];
    const auto& b = (*back)[i];
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.value, b.value);
    EXPECT_EQ(a.bounds, b.bounds);
    EXPECT_EQ(a.buckets, b.buckets);
    EXPECT_EQ(a.sum, b.sum);
    EXPECT_EQ(a.count, b.count);
  }
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(nimbus::engine::workers::read_metrics(bytes.first(n))) << n << " bytes";
  }
  text += 'x';  // a byte too many
  EXPECT_FALSE(nimbus::engine::workers::read_metrics(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size())));  // NOLINT
}

}  // namespace
