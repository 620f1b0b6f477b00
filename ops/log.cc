#include "ops/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "fmt/format.h"

namespace ops {
namespace {

// Wraps the payload that Logger::Write prepared ("msg":...,fields) into one JSON line.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    const auto since_epoch = msg.time.time_since_epoch();
    const auto ms = duration_cast<milliseconds>(since_epoch).count() % 1000;
    const std::time_t secs = std::chrono::system_clock::to_time_t(msg.time);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    fmt::format_to(
        std::back_inserter(dest),
        R"({{"ts":"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z","level":"{}","logger":"{}",)",
        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
        LevelName(msg.level), std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    dest.append(msg.payload.begin(), msg.payload.end());
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static std::string_view LevelName(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        return "debug";
      case spdlog::level::info:
        return "info";
      case spdlog::level::warn:
        return "warn";
      default:
        return "error";
    }
  }
};

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::sinks::stderr_sink_mt> SharedSink() {
  static const auto sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    s->set_formatter(std::make_unique<JsonFormatter>());
    return s;
  }();
  return sink;
}

std::shared_ptr<spdlog::logger> GetOrCreate(std::string_view module) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::string name(module);
  if (auto existing = spdlog::get(name)) {
    return existing;
  }
  auto logger = std::make_shared<spdlog::logger>(name, SharedSink());
  logger->set_level(spdlog::get_level());
  spdlog::register_logger(logger);
  return logger;
}

void AppendCodepointEscape(unsigned char c, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "\\u{:04x}", c);
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is invalid.
size_t Utf8SequenceLength(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t len = 0;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF)
    len = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF)
    len = 3;
  else if (b0 >= 0xF0 && b0 <= 0xF4)
    len = 4;
  else
    return 0;
  if (s.size() < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  if (text == "debug")
    *level = LogLevel::kDebug;
  else if (text == "info")
    *level = LogLevel::kInfo;
  else if (text == "warn" || text == "warning")
    *level = LogLevel::kWarn;
  else if (text == "error")
    *level = LogLevel::kError;
  else if (text == "off")
    *level = LogLevel::kOff;
  else
    return false;
  return true;
}

void SetLogLevel(LogLevel level) {
  spdlog::set_level(ToSpd(level));  // applies to every registered logger
}

void AppendJsonEscaped(std::string_view text, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(text.substr(i));
      if (len == 0) {
        out->append("\xEF\xBF\xBD");
        ++i;
      } else {
        out->append(text.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          AppendCodepointEscape(c, out);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

LogField::LogField(std::string_view key, std::string_view value) : key_(key) {
  json_.reserve(value.size() + 2);
  json_.push_back('"');
  AppendJsonEscaped(value, &json_);
  json_.push_back('"');
}
LogField::LogField(std::string_view key, int64_t value)
    : key_(key), json_(fmt::format("{}", value)) {}
LogField::LogField(std::string_view key, uint64_t value)
    : key_(key), json_(fmt::format("{}", value)) {}
LogField::LogField(std::string_view key, double value)
    : key_(key), json_(fmt::format("{}", value)) {}
LogField::LogField(std::string_view key, bool value) : key_(key), json_(value ? "true" : "false") {}

Logger::Logger(std::string_view module) : logger_(GetOrCreate(module)) {}

void Logger::Debug(std::string_view msg, LogFields fields) const {
  Write(LogLevel::kDebug, msg, fields);
}
void Logger::Info(std::string_view msg, LogFields fields) const {
  Write(LogLevel::kInfo, msg, fields);
}
void Logger::Warn(std::string_view msg, LogFields fields) const {
  Write(LogLevel::kWarn, msg, fields);
}
void Logger::Error(std::string_view msg, LogFields fields) const {
  Write(LogLevel::kError, msg, fields);
}
bool Logger::DebugEnabled() const { return logger_->should_log(spdlog::level::debug); }

void Logger::Write(LogLevel level, std::string_view msg, LogFields fields) const {
  const auto spd_level = ToSpd(level);
  if (!logger_->should_log(spd_level)) {
    return;
  }
  std::string payload = "\"msg\":\"";
  AppendJsonEscaped(msg, &payload);
  payload.push_back('"');
  for (const LogField& f : fields) {
    payload.append(",\"");
    AppendJsonEscaped(f.key(), &payload);
    payload.append("\":");
    payload.append(f.json_value());
  }
  logger_->log(spd_level, std::string_view(payload));
}

}  // namespace ops
