#include "forensics/capture/bundle_directory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

namespace fs = std::filesystem;

constexpr char kId[] = "20261123T101503.812Z-pause";

unsigned Mode(const fs::path& p) {
  struct stat st;
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

Manifest SomeManifest() {
  Manifest m;
  m.trigger = "pause";
  m.event_kind = "pause";
  return m;
}

TEST(IsBundleId, AcceptsIdsAndSuffixes) {
  EXPECT_TRUE(IsBundleId("20261123T101503.812Z-pause"));
  EXPECT_TRUE(IsBundleId("20261123T101503.812Z-critical-2"));
  EXPECT_TRUE(IsBundleId("20261123T101503.812Z-manual-17"));
  EXPECT_FALSE(IsBundleId(".tmp-20261123T101503.812Z-pause"));
  EXPECT_FALSE(IsBundleId("20261123T101503.812Z-"));
  EXPECT_FALSE(IsBundleId("20261123T101503.812Z-pause-"));
  EXPECT_FALSE(IsBundleId("20261123T101503.812Z-pause-02"));
  EXPECT_FALSE(IsBundleId("20261123T101503812Z-pause"));
  EXPECT_FALSE(IsBundleId("notes.txt"));
  EXPECT_FALSE(IsBundleId("20261123T101503.812Z-Pause"));
}

TEST(EventsDirectory, CreatesMissingDirectoriesPrivate) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "a/b/events");
  ASSERT_TRUE(events.ok()) << events.error().message;
  EXPECT_EQ(Mode(dir / "a/b/events"), 0700u);
  EXPECT_EQ(Mode(dir / "a"), 0700u);
}

TEST(EventsDirectory, ALinkOthersCanWriteOrAnotherUsersDirectoryIsRefused) {
  test::TempDir dir;
  // The attack: an "events" link makes the start-up clean-up delete ".tmp-*" elsewhere.
  dir.Write("elsewhere/.tmp-precious/file", "keep me");
  fs::create_directory_symlink(dir / "elsewhere", dir / "events");
  auto link = EventsDirectory::Open(dir / "events");
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.error().message,
            (dir / "events").string() +
                ": is a symbolic link, which rogue-hunter does not follow for a directory it "
                "writes; set forensics.events_dir to the directory it points to");
  EXPECT_EQ(test::ReadFileOrFail(dir / "elsewhere/.tmp-precious/file"), "keep me");

  fs::create_directories(dir / "shared");
  chmod((dir / "shared").c_str(), 01777);
  auto shared = EventsDirectory::Open(dir / "shared");
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.error().message, (dir / "shared").string() +
                                        ": is writable by group or others (mode 1777), so they "
                                        "could plant links in it; run `chmod go-w " +
                                        (dir / "shared").string() + "`");

  fs::create_directories(dir / "theirs");
  chmod((dir / "theirs").c_str(), 0700);
  ASSERT_EQ(chown((dir / "theirs").c_str(), 65534, 65534), 0);
  auto theirs = EventsDirectory::Open(dir / "theirs");
  ASSERT_FALSE(theirs.ok());
  EXPECT_NE(theirs.error().message.find((dir / "theirs").string() + ": belongs to uid 65534"),
            std::string::npos)
      << theirs.error().message;
}

TEST(BundleWriter, WritesPrivateFilesAndRenamesWhenCommitted) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "events");
  ASSERT_TRUE(events.ok());
  auto writer = BundleWriter::Create(*events, kId);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  EXPECT_TRUE(fs::is_directory(dir / "events" / (std::string(".tmp-") + kId)));
  ASSERT_TRUE((*writer)->Write("summary.json", "{}\n").ok());
  ASSERT_TRUE((*writer)->Write("raw/0/proc/12/stat", "12 (x) S").ok());
  ASSERT_TRUE((*writer)->Write("raw/0/proc/13/stat", "13 (y) S").ok());
  ASSERT_TRUE((*writer)->Write("raw/1/proc/12/stat", "12 (x) R").ok());
  EXPECT_FALSE((*writer)->Write("raw/0/proc/12/stat", "again").ok()) << "O_EXCL";
  EXPECT_FALSE((*writer)->Write("../escape", "x").ok());
  EXPECT_FALSE((*writer)->Write("/abs", "x").ok());
  EXPECT_FALSE((*writer)->Write("manifest.json", "x").ok()) << "written by Commit only";
  auto id = (*writer)->Commit(SomeManifest());
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, kId);
  const fs::path bundle = dir / "events" / kId;
  EXPECT_FALSE(fs::exists(dir / "events" / (std::string(".tmp-") + kId)));
  EXPECT_EQ(Mode(bundle), 0700u);
  EXPECT_EQ(Mode(bundle / "raw/0/proc/12"), 0700u);
  EXPECT_EQ(Mode(bundle / "summary.json"), 0600u);
  EXPECT_EQ(Mode(bundle / "manifest.json"), 0600u);
  EXPECT_EQ(test::ReadFileOrFail(bundle / "raw/1/proc/12/stat"), "12 (x) R");

  auto manifest = ParseManifest(test::ReadFileOrFail(bundle / "manifest.json"), "manifest.json");
  ASSERT_TRUE(manifest.ok()) << manifest.error().message;
  EXPECT_EQ(manifest->id, kId);
  ASSERT_EQ(manifest->files.size(), 4u);
  EXPECT_EQ(manifest->files[0].path, "raw/0/proc/12/stat");
  EXPECT_EQ(manifest->files[3].path, "summary.json");
  EXPECT_EQ(manifest->files[3].size, 3u);
  EXPECT_EQ(manifest->files[3].sha256, Sha256Hex("{}\n"));
}

TEST(BundleWriter, AbandonedOrDestroyedUncommittedLeavesNothing) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "events");
  ASSERT_TRUE(events.ok());
  {
    auto writer = BundleWriter::Create(*events, kId);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Write("raw/0/proc/1/stat", "x").ok());
  }
  EXPECT_TRUE(fs::is_empty(dir / "events"));
}

TEST(BundleWriter, ASymlinkPlantedAtTheIdIsNotFollowed) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "events");
  ASSERT_TRUE(events.ok());
  fs::create_directories(dir / "target");
  fs::create_directory_symlink(dir / "target", dir / "events" / kId);
  auto writer = BundleWriter::Create(*events, kId);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  ASSERT_TRUE((*writer)->Write("summary.json", "{}").ok());
  auto id = (*writer)->Commit(SomeManifest());
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, std::string(kId) + "-2");
  EXPECT_TRUE(fs::is_empty(dir / "target"));
  EXPECT_TRUE(fs::is_symlink(dir / "events" / kId));
  EXPECT_TRUE(fs::exists(dir / "events" / (std::string(kId) + "-2") / "summary.json"));
}

TEST(BundleWriter, ASymlinkPlantedAtTheTemporaryNameIsNotFollowed) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "events");
  ASSERT_TRUE(events.ok());
  fs::create_directories(dir / "target");
  fs::create_directory_symlink(dir / "target", dir / "events" / (std::string(".tmp-") + kId));
  auto writer = BundleWriter::Create(*events, kId);
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  ASSERT_TRUE((*writer)->Write("raw/0/proc/1/stat", "x").ok());
  auto id = (*writer)->Commit(SomeManifest());
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, std::string(kId) + "-2");
  EXPECT_TRUE(fs::is_empty(dir / "target"));
}

TEST(BundleWriter, AnIdTakenWhileWritingGetsTheNextSuffix) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "events");
  ASSERT_TRUE(events.ok());
  auto first = BundleWriter::Create(*events, kId);
  auto second = BundleWriter::Create(*events, kId);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->id(), std::string(kId) + "-2");
  fs::create_directory(dir / "events" / kId);  // someone else took it meanwhile
  auto id = (*first)->Commit(SomeManifest());
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, std::string(kId) + "-2");  // -2 is still free: the other is only a .tmp-
  auto other = (*second)->Commit(SomeManifest());
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(*other, std::string(kId) + "-3");
  auto manifest = ParseManifest(
      test::ReadFileOrFail(dir / "events" / (std::string(kId) + "-2") / "manifest.json"), "m");
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->id, std::string(kId) + "-2") << "the manifest names the final directory";
}

// Pages of `path` in the page cache not yet on disk (dirty or under writeback), from
// cachestat(2); nullopt where the kernel lacks it (before 6.5) or the file system keeps no disk
// copy (tmpfs).
std::optional<std::uint64_t> PagesNotOnDisk(const fs::path& path) {
  struct statfs fs_info {};
  if (statfs(path.c_str(), &fs_info) != 0 || fs_info.f_type == TMPFS_MAGIC) return std::nullopt;
  struct {
    std::uint64_t offset, length;
  } range{0, 0};
  struct {
    std::uint64_t cache, dirty, writeback, evicted, recently_evicted;
  } stat{};
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  constexpr long kCachestat = 451;  // x86_64 and every architecture with the common table
  const long rc = syscall(kCachestat, fd, &range, &stat, 0);
  close(fd);
  if (rc != 0) return std::nullopt;
  return stat.dirty + stat.writeback;
}

TEST(BundleWriter, EveryFileIsOnDiskOnceCommitted) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "events");
  ASSERT_TRUE(events.ok());
  if (!PagesNotOnDisk(dir.path())) {
    // The directory itself: cachestat works on directories too.
    GTEST_SKIP() << "no cachestat(2) here, or a file system without a disk (tmpfs)";
  }
  auto writer = BundleWriter::Create(*events, kId);
  ASSERT_TRUE(writer.ok());
  std::map<std::string, std::string> raw;
  for (int pid = 1; pid <= 300; ++pid) {
    raw["proc/" + std::to_string(pid) + "/stat"] = std::string(700, 'x');
  }
  ASSERT_TRUE((*writer)->WriteTree("raw/0/", raw).ok());
  ASSERT_TRUE((*writer)->Write("summary.json", std::string(100'000, ' ') + "{}\n").ok());
  auto id = (*writer)->Commit(SomeManifest());
  ASSERT_TRUE(id.ok()) << id.error().message;
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir / "events" / *id)) {
    if (!e.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(PagesNotOnDisk(e.path()), 0u) << e.path();
  }
  EXPECT_EQ(files, 302u);
}

TEST(EventsDirectory, RemovesLeftoversWithoutFollowingSymlinks) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "events");
  ASSERT_TRUE(events.ok());
  dir.Write("events/.tmp-20261123T101503.812Z-pause/raw/0/proc/1/stat", "x");
  dir.Write("keep/precious", "do not delete");
  fs::create_directory_symlink(dir / "keep",
                               dir / "events/.tmp-20261123T101503.812Z-pause/raw/link");
  fs::create_directory_symlink(dir / "keep", dir / "events/.tmp-20261123T101504.000Z-pause");
  dir.Write("events/20261123T101500.000Z-pause/summary.json", "{}");
  auto removed = events->RemoveLeftovers();
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(test::ReadFileOrFail(dir / "keep/precious"), "do not delete");
  EXPECT_FALSE(fs::exists(dir / "events/.tmp-20261123T101503.812Z-pause"));
  EXPECT_FALSE(fs::is_symlink(dir / "events/.tmp-20261123T101504.000Z-pause"));
  EXPECT_TRUE(fs::exists(dir / "events/20261123T101500.000Z-pause/summary.json"));
}

TEST(EventsDirectory, ListsBundlesOldestFirstWithTheirSizes) {
  test::TempDir dir;
  auto events = EventsDirectory::Open(dir / "events");
  ASSERT_TRUE(events.ok());
  dir.Write("events/20261123T101503.812Z-pause/summary.json", "12345");
  dir.Write("events/20261123T101503.812Z-pause/raw/0/proc/1/stat", "123");
  dir.Write("events/20261122T000000.000Z-manual/summary.json", "1");
  dir.Write("events/notes.txt", "not a bundle");
  fs::create_directories(dir / "events/.tmp-20261124T000000.000Z-pause");
  fs::create_directory_symlink(dir / "events/20261122T000000.000Z-manual",
                               dir / "events/20261125T000000.000Z-pause");
  auto bundles = events->Bundles();
  ASSERT_TRUE(bundles.ok()) << bundles.error().message;
  ASSERT_EQ(bundles->size(), 2u);
  EXPECT_EQ((*bundles)[0].id, "20261122T000000.000Z-manual");
  EXPECT_EQ((*bundles)[0].bytes, 1u);
  EXPECT_EQ((*bundles)[1].id, "20261123T101503.812Z-pause");
  EXPECT_EQ((*bundles)[1].bytes, 8u);

  auto cached = events->Bundles({{"20261123T101503.812Z-pause", 999}});
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ((*cached)[1].bytes, 999u);

  ASSERT_TRUE(events->Remove("20261122T000000.000Z-manual").ok());
  EXPECT_FALSE(fs::exists(dir / "events/20261122T000000.000Z-manual"));
  EXPECT_FALSE(events->Remove("../x").ok());
}

}  // namespace
}  // namespace rh::forensics
