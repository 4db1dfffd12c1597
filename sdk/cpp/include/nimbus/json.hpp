#pragma once
/// @file
/// The JSON value type used across the SDK.
///
/// Nimbus uses nlohmann/json as its JSON value: it is header-only, ships in
/// Debian, and lets a handler write `Response::json({{"hello", name}})`.
/// This header is the one place the SDK's public surface names it.

#include <nlohmann/json.hpp>

namespace nimbus {

/// A JSON value (object, array, string, number, boolean or null). Objects keep
/// their keys in insertion order, as Python dicts and JavaScript objects do.
using Json = nlohmann::ordered_json;

}  // namespace nimbus
