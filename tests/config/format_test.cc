#include "base/format.h"

#include <gtest/gtest.h>

#include <string>

namespace rh {
namespace {

TEST(Format, TheWholeResultWhateverItsLength) {
  EXPECT_EQ(Format("%.1f%% of %s", 42.25, "memory"), "42.2% of memory");
  const std::string name(300, 'x');  // longer than any fixed buffer the callers used to have
  EXPECT_EQ(Format("task %s blocked", name.c_str()), "task " + name + " blocked");
  EXPECT_EQ(Format("%s", ""), "");
}

}  // namespace
}  // namespace rh
