// What one point lookup of a customer costs when the block cache is far smaller than
// the store (issue #5): random lookups of stored customers against a store that
// state_bench loaded, under the state store's own column-family options. It bounds
// what any design that reads a customer's state per event can reach. Compares
// rocksdb::DB::Get with MultiGet over batches (--batch) and with reads through mmap
// instead of pread (--mmap-reads; the file pages then count in the process's RSS).
// A plain program, like state_bench.
//
//   build/rel/bench/state_bench --customers 10000000 --events 100000 --budget-mb 1024
//   build/rel/bench/lookup_bench --dir /tmp/engaged-state-bench-base-10000000-4
//
// The store is opened read-only twice: once to sample every --sample-every'th key of
// the customers column family in a shuffled order, then for the lookups: --lookups of
// them to fill the block cache, untimed, then --lookups others, timed.

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "state/rocks_options.h"

namespace {

struct Args {
  std::string dir;
  size_t cache_mb = 691;  // the block cache state_bench's 1 GiB budget gives RocksDB
  size_t lookups = 400'000;
  size_t batch = 1;
  bool mmap_reads = false;
  size_t sample_every = 10;
  bool verify_checksums = true;  // rocksdb::ReadOptions, as Store::GetCustomer reads
  bool fill_cache = true;
};

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "lookup_bench: %s\n", why.c_str());
  std::exit(2);
}

// Parses the flags; on a bad one prints why and exits 2.
Args Parse(int argc, char** argv) {
  Args a;
  const CLI::Range positive(int64_t{1}, std::numeric_limits<int64_t>::max());
  CLI::App app{"lookup_bench: the cost of one point lookup of a customer"};
  app.add_option("--dir", a.dir, "a store that state_bench loaded")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--cache-mb", a.cache_mb, "block cache")->check(positive);
  app.add_option("--lookups", a.lookups, "timed, after as many untimed")->check(positive);
  app.add_option("--batch", a.batch, "keys per MultiGet; 1 for Get")->check(positive);
  app.add_option("--mmap-reads", a.mmap_reads, "0 or 1");
  app.add_option("--sample-every", a.sample_every)->check(positive);
  app.add_option("--verify-checksums", a.verify_checksums, "0 or 1 (ReadOptions)");
  app.add_option("--fill-cache", a.fill_cache, "0 or 1 (ReadOptions): insert blocks read");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    std::exit(rc == 0 ? 0 : 2);
  }
  return a;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A field of /proc/self/status in MiB (VmRSS, VmHWM).
size_t StatusMiB(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10) / 1024;
    }
  }
  return 0;
}

struct Db {
  std::shared_ptr<rocksdb::Cache> cache;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* customers = nullptr;

  ~Db() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
};

std::unique_ptr<Db> Open(const Args& a, bool mmap_reads) {
  auto d = std::make_unique<Db>();
  d->cache = rocksdb::NewLRUCache(a.cache_mb << 20);
  // The memory size and the cache policy only size memtables, which a read-only store
  // has none of.
  state::StoreOptions store;
  store.memory_bytes = size_t{1} << 30;
  store.cache_read_blocks = a.fill_cache;
  const auto cf = state::ColumnFamilyOptionsFor(d->cache, store);
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), a.dir, &names);
  if (!s.ok()) Fail(fmt::format("cannot open {}: {}", a.dir, s.ToString()));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.reserve(names.size());
  for (const auto& name : names) cfs.emplace_back(name, cf);
  rocksdb::DBOptions options;
  options.allow_mmap_reads = mmap_reads;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(options, a.dir, cfs, &d->handles, &raw);
  if (!s.ok()) Fail(fmt::format("cannot open {}: {}", a.dir, s.ToString()));
  d->db.reset(raw);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "customers") d->customers = d->handles[i];
  }
  if (d->customers == nullptr) Fail(fmt::format("{} has no customers column family", a.dir));
  return d;
}

std::vector<std::string> SampleKeys(const Args& a) {
  auto d = Open(a, false);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::mt19937_64 rng(1);
  std::vector<std::string> keys;
  std::unique_ptr<rocksdb::Iterator> it(d->db->NewIterator(ro, d->customers));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (rng() % a.sample_every == 0) keys.push_back(it->key().ToString());
  }
  std::shuffle(keys.begin(), keys.end(), rng);
  return keys;
}

// Looks up keys[first, first + n); returns how many were found.
size_t Lookup(Db& d, const Args& a, const std::vector<std::string>& keys, size_t first, size_t n) {
  size_t found = 0;
  const size_t batch = a.batch;
  rocksdb::ReadOptions ro;
  ro.verify_checksums = a.verify_checksums;
  ro.fill_cache = a.fill_cache;
  if (batch == 1) {
    rocksdb::PinnableSlice value;
    for (size_t i = first; i < first + n; ++i) {
      value.Reset();
      if (d.db->Get(ro, d.customers, keys[i], &value).ok()) ++found;
    }
    return found;
  }
  std::vector<rocksdb::Slice> ks(batch);
  std::vector<rocksdb::PinnableSlice> values(batch);
  std::vector<rocksdb::Status> statuses(batch);
  for (size_t i = first; i < first + n; i += batch) {
    const size_t m = std::min(batch, first + n - i);
    for (size_t j = 0; j < m; ++j) {
      ks[j] = keys[i + j];
      values[j].Reset();
    }
    d.db->MultiGet(ro, d.customers, m, ks.data(), values.data(), statuses.data());
    for (size_t j = 0; j < m; ++j) found += statuses[j].ok() ? 1 : 0;
  }
  return found;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  const auto keys = SampleKeys(a);
  if (keys.size() < 2 * a.lookups) {
    Fail(fmt::format("{} sampled keys, {} needed: lower --sample-every or --lookups", keys.size(),
                     2 * a.lookups));
  }
  auto d = Open(a, a.mmap_reads);
  const size_t warm = Lookup(*d, a, keys, 0, a.lookups);
  const double cpu0 = CpuSeconds();
  const auto wall0 = std::chrono::steady_clock::now();
  const size_t found = Lookup(*d, a, keys, a.lookups, a.lookups);
  const double cpu = CpuSeconds() - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (warm != a.lookups || found != a.lookups) {
    std::fprintf(stderr, "lookup_bench: %zu and %zu of %zu stored keys found\n", warm, found,
                 a.lookups);
    return 1;
  }
  std::printf(
      "command: %s --dir %s --cache-mb %zu --lookups %zu --batch %zu --mmap-reads %d "
      "--sample-every %zu --verify-checksums %d --fill-cache %d\n",
      argv[0], a.dir.c_str(), a.cache_mb, a.lookups, a.batch, a.mmap_reads ? 1 : 0, a.sample_every,
      a.verify_checksums ? 1 : 0, a.fill_cache ? 1 : 0);
  std::printf("sampled keys: %zu   timed lookups: %zu (after %zu untimed)\n", keys.size(),
              a.lookups, a.lookups);
  std::printf("process CPU: %.2f s -> %.0f lookups per CPU-second (%.2f us each)   wall: %.2f s\n",
              cpu, static_cast<double>(a.lookups) / cpu, cpu * 1e6 / static_cast<double>(a.lookups),
              wall);
  std::printf("RSS at the end: %zu MiB   peak (VmHWM): %zu MiB   block cache: %zu MiB\n",
              StatusMiB("VmRSS"), StatusMiB("VmHWM"), a.cache_mb);
  return 0;
}
