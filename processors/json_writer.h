#pragma once

// Appends JSON to a string without a DOM: the output events are small and flat, and
// this keeps their encoding allocation-free once the buffer has grown.
// Not thread-safe; one writer per buffer.

#include <cstdint>
#include <string>
#include <string_view>

#include "fmt/format.h"
#include "ops/log.h"

namespace processors {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(std::string_view k) {
    Comma();
    String(k);
    out_->push_back(':');
    first_ = true;
    return *this;
  }
  JsonWriter& Value(std::string_view v) {
    Comma();
    String(v);
    return *this;
  }
  JsonWriter& Value(const char* v) { return Value(std::string_view(v)); }
  JsonWriter& Value(int64_t v) {
    Comma();
    fmt::format_to(std::back_inserter(*out_), "{}", v);
    return *this;
  }
  JsonWriter& Value(double v) {
    Comma();
    fmt::format_to(std::back_inserter(*out_), "{}", v);
    return *this;
  }
  JsonWriter& Null() {
    Comma();
    out_->append("null");
    return *this;
  }
  // `v`, or null when empty.
  JsonWriter& StringOrNull(std::string_view v) { return v.empty() ? Null() : Value(v); }

 private:
  JsonWriter& Open(char c) {
    Comma();
    out_->push_back(c);
    first_ = true;
    return *this;
  }
  JsonWriter& Close(char c) {
    out_->push_back(c);
    first_ = false;
    return *this;
  }
  void Comma() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void String(std::string_view s) {
    out_->push_back('"');
    ops::AppendJsonEscaped(s, out_);
    out_->push_back('"');
  }

  std::string* out_;
  bool first_ = true;
};

}  // namespace processors
