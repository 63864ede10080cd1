// The reading, checking and escaping pieces of rh-forensics, without the binary.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "forensics/bundle_reader.h"
#include "forensics/cli/bundle_view.h"
#include "forensics/cli/redact.h"
#include "forensics/cli/text.h"
#include "tests/forensics_cli/bundle_builder.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

BundleFiles FilesOf(const test::TestBundle& b) {
  BundleFiles files;
  files.origin = "/events/" + b.id();
  files.name = b.id();
  files.files = b.files;
  files.files["manifest.json"] = b.ManifestJson();
  return files;
}

TEST(CheckFiles, AGoodBundleHasNoProblems) {
  auto b = test::MakeBundle();
  auto files = FilesOf(b);
  auto manifest = ReadManifest(files);
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_TRUE(CheckFiles(*manifest, files).empty());
}

TEST(CheckFiles, NamesEachDifferenceSortedByPath) {
  auto b = test::MakeBundle();
  auto files = FilesOf(b);
  auto manifest = ReadManifest(files);
  ASSERT_TRUE(manifest);
  files.files["summary.json"] += " ";
  files.files["kernel.log"][0] = 'X';
  files.files.erase("blocked.json");
  files.files["zzz"] = "";
  files.irregular.push_back("link");
  auto problems = CheckFiles(*manifest, files);
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_EQ(problems[0].path, "blocked.json");
  EXPECT_EQ(problems[0].kind, FileProblem::Kind::kMissing);
  EXPECT_EQ(problems[1].path, "kernel.log");
  EXPECT_EQ(problems[1].kind, FileProblem::Kind::kHashDiffers);
  EXPECT_EQ(problems[2].path, "link");
  EXPECT_EQ(problems[2].kind, FileProblem::Kind::kNotRegular);
  EXPECT_EQ(problems[3].path, "summary.json");
  EXPECT_EQ(problems[3].kind, FileProblem::Kind::kSizeDiffers);
  EXPECT_THAT(problems[3].detail, HasSubstr("the manifest says"));
  EXPECT_EQ(problems[4].path, "zzz");
  EXPECT_EQ(problems[4].kind, FileProblem::Kind::kExtra);
}

TEST(BundleFiles, WhereNamesTheFileInADirectoryOrAnArchive) {
  BundleFiles dir;
  dir.origin = "/e/b/";
  EXPECT_EQ(dir.Where("raw/0/proc/stat"), "/e/b/raw/0/proc/stat");
  BundleFiles archive;
  archive.origin = "x.tar.gz";
  archive.name = "id";
  archive.archive = true;
  EXPECT_EQ(archive.Where("summary.json"), "x.tar.gz:id/summary.json");
}

TEST(ReadLimits, TheEnvironmentOnlyLowersThem) {
  ASSERT_EQ(
      setenv("RH_FORENSICS_READ_LIMITS",
             "files=10,file_bytes=99999999999999,total_bytes=2048,ratio=5,junk,x=1,files=abc", 1),
      0);
  ReadLimits limits = ReadLimitsFromEnvironment();
  unsetenv("RH_FORENSICS_READ_LIMITS");
  EXPECT_EQ(limits.max_files, 10u);
  EXPECT_EQ(limits.max_file_bytes, ReadLimits{}.max_file_bytes);
  EXPECT_EQ(limits.max_total_bytes, 2048u);
  EXPECT_EQ(limits.max_compression_ratio, 5);
  EXPECT_EQ(ReadLimitsFromEnvironment().max_files, ReadLimits{}.max_files);
}

TEST(PrivateDir, IsPrivateAndRemovedWithItsContent) {
  std::filesystem::path path;
  {
    auto dir = PrivateDir::Create("rh-test-private");
    ASSERT_TRUE(dir);
    path = (*dir)->path();
    EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_all);
    ASSERT_TRUE(WriteFileUnder(path, "a/b/c", "x").ok());
    EXPECT_FALSE(WriteFileUnder(path, "a/b/c", "again").ok()) << "never replaced unless asked";
    EXPECT_TRUE(WriteFileUnder(path, "a/b/c", "y", true).ok());
    EXPECT_FALSE(WriteFileUnder(path, "../escape", "x").ok());
    EXPECT_FALSE(WriteFileUnder(path, "/abs", "x").ok());
    std::filesystem::create_symlink("/tmp", path / "link");
    EXPECT_FALSE(WriteFileUnder(path, "link/x", "x").ok()) << "never through a symlink";
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PrivateDir, OnlyDirectoriesOfDeadOwnersAreRemovedByTheNextCreate) {
  test::TempDir tmp;
  const char* previous = std::getenv("TMPDIR");
  const std::string saved = previous != nullptr ? previous : "";
  setenv("TMPDIR", tmp.path().c_str(), 1);
  {
    auto live = PrivateDir::Create("rh-test-stale");  // locked while this object lives
    ASSERT_TRUE(live);
    tmp.Write("rh-test-stale-dead01/tree/proc/1/stat", "left by a killed run");
    tmp.Write(".rh-test-stale-young1/x", "being created right now");
    tmp.Write("rh-test-stale-theirs/x", "another user's");
    ASSERT_EQ(chown((tmp / "rh-test-stale-theirs").c_str(), 65534, 65534), 0);
    tmp.Write("unrelated/x", "not ours to judge");
    auto next = PrivateDir::Create("rh-test-stale");
    ASSERT_TRUE(next);
    EXPECT_TRUE(std::filesystem::exists((*live)->path())) << "its owner lives";
    EXPECT_FALSE(std::filesystem::exists(tmp / "rh-test-stale-dead01"));
    EXPECT_TRUE(std::filesystem::exists(tmp / ".rh-test-stale-young1"))
        << "not locked yet, but less than ten seconds old";
    EXPECT_TRUE(std::filesystem::exists(tmp / "rh-test-stale-theirs"));
    EXPECT_TRUE(std::filesystem::exists(tmp / "unrelated/x"));
  }
  if (previous != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
}

TEST(Text, PrintableEscapesControlsInvalidUtf8AndBidiOverrides) {
  using cli::Printable;
  EXPECT_EQ(Printable("plain ünïcode"), "plain ünïcode");
  EXPECT_EQ(Printable("a\nb\x1b[0m\x7f"), "a\\x0ab\\x1b[0m\\x7f");
  EXPECT_EQ(Printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(Printable("back\\slash"), "back\\\\slash");
  EXPECT_EQ(Printable("\xe2\x80\xae"
                      "evil"),
            "\\xe2\\x80\\xaeevil");
  EXPECT_EQ(Printable("\xc2\x9b"
                      "2J"),
            "\\xc2\\x9b2J")
      << "C1 CSI";
}

TEST(Text, HtmlEscapeEscapesMarkupAndQuotes) {
  EXPECT_EQ(cli::HtmlEscape("<a href='x'>\"&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(cli::HtmlEscape("\x01"), "\\x01");
}

TEST(Text, NumbersAndBytes) {
  EXPECT_EQ(cli::HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(cli::HumanBytes(100), "100 B");
  EXPECT_EQ(cli::HumanBytes(3.0 * (1 << 30)), "3.0 GiB");
  EXPECT_EQ(cli::Decimal(3.0220), "3.022");
  EXPECT_EQ(cli::Decimal(2.0), "2");
  EXPECT_EQ(cli::Decimal(-0.0001, 2), "0");
  EXPECT_EQ(cli::ShortTime(1'795'429'503'812'000'000), "2026-11-23 10:25:03Z");
}

TEST(Redact, SameValueSameHashAndEveryFileStillListed) {
  auto b = test::MakeBundle();
  cli::OpenedBundle opened{FilesOf(b), {}};
  auto manifest = ReadManifest(opened.files);
  ASSERT_TRUE(manifest);
  opened.manifest = *manifest;
  auto redacted = cli::RedactBundle(opened, "salt");
  ASSERT_TRUE(redacted) << redacted.error().message;
  auto again = cli::RedactBundle(opened, "salt");
  ASSERT_TRUE(again);
  EXPECT_EQ(*redacted, *again) << "deterministic for a given salt";
  EXPECT_EQ(redacted->size(), opened.files.files.size());
  BundleFiles out;
  out.files = *redacted;
  auto m = ReadManifest(out);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->redacted);
  EXPECT_TRUE(CheckFiles(*m, out).empty());
  EXPECT_THAT(out.files["journal.log"], Not(HasSubstr("mallory")));
  EXPECT_THAT(out.files["journal.log"], HasSubstr("python3[612]"));
  EXPECT_EQ(out.files["raw/0/proc/stat"], opened.files.files["raw/0/proc/stat"]);
}

TEST(BundleView, ParsesProcessTablesAsArraysOrObjectsWithStringOrListCommandLines) {
  auto a =
      cli::ParseProcesses(R"([{"pid": 1, "comm": "init", "cmdline": "/sbin/init splash"}])", "p");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].cmdline.front(), "/sbin/init splash");
  auto b = cli::ParseProcesses(
      R"({"processes": [{"pid": 2, "comm": {"base64": "/w=="}, "cmdline": ["a", "b"], "rss_bytes": 5}]})",
      "p");
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)[0].comm, "\xff");
  EXPECT_EQ((*b)[0].cmdline.size(), 2u);
  EXPECT_EQ((*b)[0].rss_bytes, 5u);
  auto bad = cli::ParseProcesses("[{\"comm\": 1}]", "/x/processes.json");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("/x/processes.json: processes[0] has no pid"));
  EXPECT_FALSE(cli::ParseSummary("[]", "s"));
  EXPECT_FALSE(cli::ParseBlocked("{\"x\": 1}", "b"));
}

}  // namespace
}  // namespace rh::forensics

namespace rh::forensics {
namespace {

TEST(Redact, AValueIsReplacedOnlyWhereItIsAWholeWord) {
  test::BundleOptions options;
  options.hostname = "vm";  // also the start of "vmstat", a collector's name
  auto b = test::MakeBundle(options);
  cli::OpenedBundle opened{FilesOf(b), {}};
  opened.manifest = *ReadManifest(opened.files);
  auto redacted = cli::RedactBundle(opened, "salt");
  ASSERT_TRUE(redacted) << redacted.error().message;
  EXPECT_THAT((*redacted)["capture.json"], HasSubstr("\"vmstat\""));
  EXPECT_EQ((*redacted)["capture.json"], b.files["capture.json"]);
  EXPECT_THAT((*redacted)["kernel.log"], Not(HasSubstr(" vm:")));
  EXPECT_THAT((*redacted)["kernel.log"], HasSubstr(": Out of memory"));
  EXPECT_THAT((*redacted)["journal.log"], Not(HasSubstr(" vm ")));
}

}  // namespace
}  // namespace rh::forensics
