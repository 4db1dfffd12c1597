// The orders function: takes orders and tells others about them. It keeps its
// state in the key-value binding `orders` and announces each order on the
// publish binding `events`; function.yaml says what stands behind them (in
// memory here, Redis in function-redis.yaml), the code does not.
//
//   POST /orders {"item": "book", "quantity": 2}  -> 201 {"order": {...}, "sold": <the item's total>}
//   GET /orders/<id>                               -> 200 the order, or 404
#include <nimbus/nimbus.hpp>
#include <string>

namespace {

nimbus::Response place(nimbus::Context& ctx, const nimbus::Event& event) {
  const nimbus::Json request = nimbus::Json::parse(event.body(), nullptr, false);  // not JSON: discarded
  if (!request.is_object()) return nimbus::Response::text("the body must be a JSON object", 400);
  const nimbus::Json item = request.value("item", nimbus::Json());
  const nimbus::Json quantity = request.value("quantity", nimbus::Json(1));
  if (!item.is_string() || item.get<std::string>().empty())
    return nimbus::Response::text("\"item\" must be a non-empty string", 400);
  if (!quantity.is_number_integer() || quantity.get<std::int64_t>() < 1)
    return nimbus::Response::text("\"quantity\" must be a positive integer", 400);

  auto& store = ctx.kv("orders");
  const std::string id = std::to_string(store.increment("orders:next"));  // atomic across workers
  const nimbus::Json order = {{"id", id}, {"item", item}, {"quantity", quantity}};
  store.put_many({{"order:" + id, order.dump()}, {"orders:last", id}});  // one round trip
  const std::int64_t sold = store.increment("sold:" + item.get<std::string>(), quantity.get<std::int64_t>());

  // Carries the request's traceparent on, so the order can be followed downstream.
  ctx.publisher("events").publish("orders", order.dump(), {{"type", "order-placed"}});
  ctx.metrics().counter("orders_placed_total", {{"item", item.get<std::string>()}}).inc();
  ctx.logger().info_with("order placed", {{"id", id}, {"item", item}, {"sold", sold}});
  return nimbus::Response::json({{"order", order}, {"sold", sold}}, 201);
}

nimbus::Response find(nimbus::Context& ctx, std::string_view id) {
  auto order = ctx.kv("orders").get("order:" + std::string(id));
  if (!order) return nimbus::Response::text("no order " + std::string(id), 404);
  return nimbus::Response::json(nimbus::Json::parse(*order));
}

}  // namespace

nimbus::Response orders(nimbus::Context& ctx, const nimbus::Event& event) {
  const std::string_view path = event.path();
  if (event.method() == "POST" && path == "/orders") return place(ctx, event);
  if (event.method() == "GET" && path.starts_with("/orders/")) return find(ctx, path.substr(8));
  return nimbus::Response::text("POST /orders or GET /orders/<id>", 404);
}
NIMBUS_FUNCTION(orders)
