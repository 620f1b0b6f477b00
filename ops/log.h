#pragma once

// Structured JSON logs: one object per line on stderr,
//   {"ts":"2026-11-24T09:41:02.123Z","level":"info","logger":"state","msg":"...",<fields>}
// Each module holds its own named Logger. Loggers are cheap handles onto one shared
// sink; they are thread-safe.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace ops {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug", "info", "warn", "error" or "off"; returns false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// Sets the level of every logger, present and future. Thread-safe.
void SetLogLevel(LogLevel level);

// One key/value pair of a log line. The value is rendered as JSON when constructed.
class LogField {
 public:
  LogField(std::string_view key, std::string_view value);
  LogField(std::string_view key, const char* value) : LogField(key, std::string_view(value)) {}
  LogField(std::string_view key, const std::string& value)
      : LogField(key, std::string_view(value)) {}
  LogField(std::string_view key, int64_t value);
  LogField(std::string_view key, int32_t value) : LogField(key, static_cast<int64_t>(value)) {}
  LogField(std::string_view key, uint64_t value);
  LogField(std::string_view key, double value);
  LogField(std::string_view key, bool value);

  std::string_view key() const { return key_; }
  const std::string& json_value() const { return json_; }

 private:
  std::string_view key_;
  std::string json_;
};

using LogFields = std::initializer_list<LogField>;

class Logger {
 public:
  // `module` names the logger in every line it writes ("state", "kafka", ...).
  explicit Logger(std::string_view module);

  void Debug(std::string_view msg, LogFields fields = {}) const;
  void Info(std::string_view msg, LogFields fields = {}) const;
  void Warn(std::string_view msg, LogFields fields = {}) const;
  void Error(std::string_view msg, LogFields fields = {}) const;
  bool DebugEnabled() const;

 private:
  void Write(LogLevel level, std::string_view msg, LogFields fields) const;
  std::shared_ptr<spdlog::logger> logger_;  // shared with spdlog's registry, which owns it
};

// Appends `text` to `out` as the body of a JSON string (no quotes), escaping as RFC 8259
// requires. Invalid UTF-8 bytes are replaced by U+FFFD.
void AppendJsonEscaped(std::string_view text, std::string* out);

}  // namespace ops
