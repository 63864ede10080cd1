#include "exporter/handler_pool.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace rh::exporter {
namespace {

std::string ThreadName() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

TEST(HandlerPool, RunsTheHandlerOnItsOwnThreadAndReturnsItsResponse) {
  HandlerPool pool(2);
  EXPECT_EQ(pool.threads(), 2u);
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  std::string name;
  const int local = 41;  // the handler may use the caller's stack: the caller waits
  HttpResponse r = pool.Run([&] {
    ran_on = std::this_thread::get_id();
    name = ThreadName();
    return HttpResponse::Text(200, std::to_string(local + 1));
  });
  EXPECT_NE(ran_on, caller);
  EXPECT_EQ(name, "rh-api");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(*r.body, "42");
}

TEST(HandlerPool, WhatTheHandlerThrowsReachesTheCaller) {
  HandlerPool pool(1);
  EXPECT_THROW(pool.Run([]() -> HttpResponse { throw std::runtime_error("broken"); }),
               std::runtime_error);
  EXPECT_EQ(pool.Run([] { return HttpResponse::Text(204, ""); }).status, 204);  // still serving
}

TEST(HandlerPool, NoMoreHandlersRunAtOnceThanItHasThreads) {
  HandlerPool pool(2);
  std::atomic<int> running{0}, most{0}, done{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 16; ++i) {
    callers.emplace_back([&] {
      pool.Run([&] {
        const int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        for (int spin = 0; spin < 200000; ++spin)
          std::atomic_signal_fence(std::memory_order_seq_cst);
        --running;
        ++done;
        return HttpResponse::Text(200, "");
      });
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(done, 16);
  EXPECT_LE(most, 2);
  EXPECT_GE(most, 1);
}

}  // namespace
}  // namespace rh::exporter
