#include "exporter/event_stream.h"

#include <algorithm>
#include <utility>

namespace rh::exporter {

void EventStream::Subscribe(EventSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscriber);
}

void EventStream::Unsubscribe(EventSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  std::erase(subscribers_, subscriber);
}

void EventStream::Publish(DaemonEvent event) const {
  std::lock_guard lock(mutex_);
  if (subscribers_.empty()) return;
  auto shared = std::make_shared<const DaemonEvent>(std::move(event));
  for (EventSubscriber* subscriber : subscribers_) subscriber->OnEvent(shared);
}

}  // namespace rh::exporter
