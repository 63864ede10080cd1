// Helper process for the store tests.
//   store_writer_child write PATH ROWS_PER_TRANSACTION
//     appends rows forever, printing the number of rows committed so far after each commit;
//   store_writer_child read PATH READS
//     reads every sample READS times through a read-only Store, printing the count each time.
// Exits 1 with the error on stderr when the store fails.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "tests/forensics/rows.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return 1;
}

void PrintLine(long long n) {
  std::string line = std::to_string(n) + "\n";
  // One write(2) per line: the line is complete in the file or absent, whenever we are killed.
  ssize_t ignored = write(STDOUT_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace

int main(int argc, char** argv) {
  using rh::forensics::Store;
  if (argc != 4) return Fail("usage: store_writer_child write|read PATH N");
  std::string mode = argv[1];
  std::string path = argv[2];
  long n = std::atol(argv[3]);
  if (mode == "write") {
    auto store = Store::Open(path, {});
    if (!store) return Fail(store.error().message);
    long long committed = 0;
    for (long long t = 0;; ++t) {
      std::vector<rh::forensics::SampleRow> rows;
      for (long i = 0; i < n; ++i) rows.push_back(rh::forensics::test::MakeRow(1.8e9 + t, t));
      if (auto s = (*store)->AppendSamples(rows); !s) return Fail(s.error().message);
      committed += n;
      PrintLine(committed);
    }
  }
  if (mode == "read") {
    Store::Options options;
    options.read_only = true;
    auto store = Store::Open(path, options);
    if (!store) return Fail(store.error().message);
    const double inf = std::numeric_limits<double>::infinity();
    for (long i = 0; i < n; ++i) {
      auto rows = (*store)->Samples(-inf, inf, std::numeric_limits<int>::max());
      if (!rows) return Fail(rows.error().message);
      PrintLine(static_cast<long long>(rows->size()));
    }
    return 0;
  }
  return Fail("unknown mode " + mode);
}
