// A plain GoogleTest of the orders handler: memory bindings of the test's own,
// nothing started; what it stored, published and counted is asserted.
#include <gtest/gtest.h>

#include <nimbus/testing.hpp>

nimbus::Response orders(nimbus::Context& ctx, const nimbus::Event& event);

namespace {

using nimbus::Json;
using nimbus::testing::EventBuilder;
using nimbus::testing::FakeContext;

class OrdersTest : public ::testing::Test {
 protected:
  nimbus::Response order(const Json& body, const std::string& traceparent = "") {
    EventBuilder e;
    e.method("POST").path("/orders").json(body);
    if (!traceparent.empty()) e.header("traceparent", traceparent);
    const auto event = e.build();  // the bytes the event views: kept while it is used
    ctx_.begin(event);             // as the host does: the event's traceparent is the context's
    return orders(ctx_, event);
  }
  FakeContext ctx_{"orders"};
  std::shared_ptr<nimbus::MemoryKeyValueStore> store_ = ctx_.add_memory_kv("orders");
  std::shared_ptr<nimbus::MemoryPublisher> events_ = ctx_.add_memory_publisher("events");
};

TEST_F(OrdersTest, AnOrderIsNumberedStoredCountedAndAnnounced) {
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto r = order({{"item", "book"}, {"quantity", 2}}, trace);
  EXPECT_EQ(r.status(), 201);
  const Json placed{{"id", "1"}, {"item", "book"}, {"quantity", 2}};
  EXPECT_EQ(Json::parse(r.body()), (Json{{"order", placed}, {"sold", 2}}));
  EXPECT_EQ(Json::parse(order({{"item", "book"}}).body())["sold"], 3);
  EXPECT_EQ(store_->get("order:1"), placed.dump());
  EXPECT_EQ(store_->get("orders:last"), "2");
  const auto messages = events_->messages();
  ASSERT_EQ(messages.size(), 2U);
  EXPECT_EQ(messages[0].topic, "orders");
  EXPECT_EQ(Json::parse(messages[0].payload), placed);
  EXPECT_EQ(messages[0].headers, (nimbus::MessageHeaders{{"type", "order-placed"}, {"traceparent", trace}}));
  EXPECT_EQ(ctx_.metrics().value("orders_placed_total", {{"item", "book"}}), 2);
  EXPECT_TRUE(ctx_.logged(nimbus::LogLevel::kInfo, "order placed"));
}

TEST_F(OrdersTest, AStoredOrderIsFoundByItsIdAndAnUnknownOneIsA404) {
  (void)order({{"item", "pen"}, {"quantity", 10}});
  auto found = orders(ctx_, EventBuilder().method("GET").path("/orders/1").build());
  EXPECT_EQ(found.status(), 200);
  EXPECT_EQ(Json::parse(found.body())["item"], "pen");
  auto missing = orders(ctx_, EventBuilder().method("GET").path("/orders/7").build());
  EXPECT_EQ(missing.status(), 404);
  EXPECT_EQ(missing.body(), "no order 7");
}

TEST_F(OrdersTest, ABadOrderIsA400NamingWhatIsWrongAndChangesNothing) {
  EXPECT_EQ(order({{"quantity", 2}}).body(), "\"item\" must be a non-empty string");
  EXPECT_EQ(order({{"item", "book"}, {"quantity", 0}}).body(), "\"quantity\" must be a positive integer");
  EXPECT_EQ(order({{"item", "book"}, {"quantity", "2"}}).status(), 400);
  EXPECT_EQ(order(Json::array({1})).body(), "the body must be a JSON object");
  EXPECT_EQ(orders(ctx_, EventBuilder().method("POST").path("/orders").body("{not json").build()).body(),
            "the body must be a JSON object");
  EXPECT_EQ(store_->size(), 0U);
  EXPECT_TRUE(events_->messages().empty());
}

}  // namespace
