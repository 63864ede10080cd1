#include "forensics/reader_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/forensics/rows.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A history file holding `events` pause events.
void WriteHistory(const std::string& path, int events) {
  auto store = Store::Open(path, {});
  ASSERT_TRUE(store.ok()) << store.error().message;
  for (int i = 0; i < events; ++i) {
    ASSERT_TRUE((*store)->AppendEvent(test::MakeEvent("e" + std::to_string(i), 1000 + i)).ok());
  }
}

std::size_t EventsIn(ReaderPool::Lease& lease) {
  auto events = lease->Events(0, 1e12);
  EXPECT_TRUE(events.ok());
  return events.ok() ? events->size() : 0;
}

TEST(ReaderPool, AConnectionIsReusedFromLeaseToLease) {
  rh::test::TempDir dir;
  const std::string path = (dir / "data.db").string();
  WriteHistory(path, 2);
  ReaderPool pool(path, {});
  const Store* first = nullptr;
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok()) << lease.error().message;
    first = &**lease;
    EXPECT_EQ(EventsIn(*lease), 2u);
  }
  auto again = pool.Acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(&**again, first);
  EXPECT_EQ(pool.open_connections(), 1u);
}

TEST(ReaderPool, NoMoreThanMaxOpenAtOnceAndAWaiterGetsTheNextReleased) {
  rh::test::TempDir dir;
  const std::string path = (dir / "data.db").string();
  WriteHistory(path, 1);
  ReaderPool busy(path, {2, 0ms, 2000});
  {
    auto a = busy.Acquire();
    auto b = busy.Acquire();
    ASSERT_TRUE(a.ok() && b.ok());
    auto c = busy.Acquire();
    ASSERT_FALSE(c.ok());
    EXPECT_THAT(c.error().message, HasSubstr("stayed busy"));
    EXPECT_EQ(busy.open_connections(), 2u);
  }

  ReaderPool patient(path, {1, 60s, 2000});
  auto held = patient.Acquire();
  ASSERT_TRUE(held.ok());
  const Store* store = &**held;
  std::optional<Result<ReaderPool::Lease>> waited;
  std::thread waiter([&] { waited.emplace(patient.Acquire()); });
  { auto release = std::move(*held); }  // the waiter gets this one
  waiter.join();
  ASSERT_TRUE(waited->ok());
  EXPECT_EQ(&***waited, store);
  EXPECT_EQ(patient.open_connections(), 1u);
}

TEST(ReaderPool, AReplacedFileIsReadThroughANewConnection) {
  rh::test::TempDir dir;
  const std::string path = (dir / "data.db").string();
  WriteHistory(path, 1);
  ReaderPool pool(path, {});
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    EXPECT_EQ(EventsIn(*lease), 1u);
  }
  // Deleted and recreated (a corrupt file moved aside, an operator starting over).
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  WriteHistory(path, 3);
  auto lease = pool.Acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(EventsIn(*lease), 3u);
  EXPECT_EQ(pool.open_connections(), 1u);  // the old one was closed
}

TEST(ReaderPool, AMissingFileIsAnErrorAndHoldsNoConnection) {
  rh::test::TempDir dir;
  ReaderPool pool((dir / "absent.db").string(), {});
  auto lease = pool.Acquire();
  ASSERT_FALSE(lease.ok());
  EXPECT_THAT(lease.error().message, HasSubstr("absent.db"));
  EXPECT_EQ(pool.open_connections(), 0u);
}

}  // namespace
}  // namespace rh::forensics
