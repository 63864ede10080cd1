#include <gtest/gtest.h>
#include <signal.h>

#include <random>
#include <string>
#include <thread>

#include "forensics/store.h"
#include "tests/forensics/rows.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

// The last complete line of `out` as a number (0 when there is none).
long long LastCompleteLine(const std::string& out) {
  auto end = out.rfind('\n');
  if (end == std::string::npos || end == 0) return 0;
  auto start = out.rfind('\n', end - 1);
  start = start == std::string::npos ? 0 : start + 1;
  return std::stoll(out.substr(start, end - start));
}

// A writer killed with SIGKILL at random moments never loses a row it reported committed, and
// leaves a file that passes quick_check.
TEST(StoreKill, KillNineNeverLosesACommittedRow) {
  rh::test::TempDir dir;
  std::string path = (dir / "data.db").string();
  std::random_device seed_source;
  unsigned seed = seed_source();
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  constexpr int kRowsPerTransaction = 4;
  std::int64_t rows_before = 0;
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto child = rh::test::Subprocess::Start(
        {rh::test::BinaryPath("tests/forensics/store_writer_child").string(), "write", path,
         std::to_string(kRowsPerTransaction)});
    ASSERT_TRUE(rh::test::WaitUntil([&] { return LastCompleteLine(child.Stdout()) > 0; },
                                    std::chrono::seconds(20), std::chrono::milliseconds(5)))
        << child.Stderr();
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    child.Signal(SIGKILL);
    auto code = child.WaitExit(std::chrono::seconds(10));
    ASSERT_TRUE(code.has_value());
    ASSERT_EQ(*code, 128 + SIGKILL) << child.Stderr();
    long long reported = LastCompleteLine(child.Stdout());

    EXPECT_EQ(test::Query(path, "PRAGMA quick_check"), "ok");
    std::int64_t rows = test::Count(path, "samples");
    std::int64_t written = rows - rows_before;
    EXPECT_GE(written, reported);
    // At most the transaction that committed but was not reported yet.
    EXPECT_LE(written, reported + kRowsPerTransaction);
    EXPECT_EQ(written % kRowsPerTransaction, 0) << "part of a transaction survived";
    rows_before = rows;

    OpenReport report;
    auto store = Store::Open(path, {}, &report);
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_TRUE(report.moved_aside.empty());
  }
}

}  // namespace
}  // namespace rh::forensics
