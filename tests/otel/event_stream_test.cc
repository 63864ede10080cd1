// The daemon's event fan-out (exporter/event_stream.h): every subscriber gets every event, as
// one shared object, in subscription order; a subscriber can be replaced while events flow.

#include "exporter/event_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace rh::exporter {
namespace {

class Recorder final : public EventSubscriber {
 public:
  explicit Recorder(std::vector<std::string>* order = nullptr, std::string name = "")
      : order_(order), name_(std::move(name)) {}
  void OnEvent(const std::shared_ptr<const DaemonEvent>& event) override {
    events.push_back(event);
    if (order_ != nullptr) order_->push_back(name_);
  }
  std::vector<std::shared_ptr<const DaemonEvent>> events;

 private:
  std::vector<std::string>* order_;
  std::string name_;
};

DaemonEvent Pause(std::int64_t at) {
  RecordedEvent e;
  e.record.kind = forensics::EventKind::kPause;
  e.record.key = std::to_string(at);
  return DaemonEvent{at, std::move(e)};
}

TEST(EventStream, EverySubscriberGetsTheSameEventInSubscriptionOrder) {
  std::vector<std::string> order;
  Recorder history(&order, "history"), otlp(&order, "otlp");
  EventStream stream;
  stream.Publish(Pause(1));  // nobody listens yet: nothing happens
  stream.Subscribe(&history);
  stream.Subscribe(&otlp);
  stream.Publish(Pause(2));
  stream.Publish(DaemonEvent{3, CaptureEnded{}});
  ASSERT_EQ(history.events.size(), 2u);
  ASSERT_EQ(otlp.events.size(), 2u);
  EXPECT_EQ(history.events[0], otlp.events[0]);  // one shared object, not a copy each
  EXPECT_EQ(history.events[0]->observed_unix_ns, 2);
  EXPECT_TRUE(std::holds_alternative<CaptureEnded>(otlp.events[1]->what));
  EXPECT_EQ(order, (std::vector<std::string>{"history", "otlp", "history", "otlp"}));
}

TEST(EventStream, ASubscriberCanBeReplacedWhileEventsFlow) {
  Recorder old_sender, new_sender;
  EventStream stream;
  stream.Subscribe(&old_sender);
  std::atomic<bool> stop{false};
  std::atomic<int> published{0};
  std::thread publisher([&] {
    while (!stop) {
      stream.Publish(Pause(published));
      ++published;
    }
  });
  while (published < 500) std::this_thread::yield();
  stream.Subscribe(&new_sender);
  stream.Unsubscribe(&old_sender);
  const std::size_t old_count = old_sender.events.size();
  const int switched_at = published;
  while (published < switched_at + 500) std::this_thread::yield();
  stop = true;
  publisher.join();
  EXPECT_EQ(old_sender.events.size(), old_count);  // nothing after Unsubscribe returned
  ASSERT_FALSE(new_sender.events.empty());
  // No event was lost in the switch: each reached one sender or both.
  std::set<std::int64_t> seen;
  for (const auto* r : {&old_sender, &new_sender}) {
    for (const auto& e : r->events) seen.insert(e->observed_unix_ns);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(published.load()));
  EXPECT_EQ(*seen.rbegin(), published - 1);
}

}  // namespace
}  // namespace rh::exporter
