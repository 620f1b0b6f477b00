#pragma once

// rocksdb::Status to ops::Status, for the files of state/ that talk to RocksDB.

#include <rocksdb/status.h>

#include <string_view>

#include "fmt/format.h"
#include "ops/status.h"

namespace state {

inline ops::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return ops::Status::Ok();
  if (s.IsCorruption()) return ops::Status::Corruption(fmt::format("{}: {}", what, s.ToString()));
  return ops::Status::IoError(fmt::format("{}: {}", what, s.ToString()));
}

}  // namespace state
