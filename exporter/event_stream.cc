#include "exporter/event_stream.h"

#include <utility>

namespace rh::exporter {

void EventStream::Publish(DaemonEvent event) const {
  if (subscribers_.empty()) return;
  auto shared = std::make_shared<const DaemonEvent>(std::move(event));
  for (EventSubscriber* subscriber : subscribers_) subscriber->OnEvent(shared);
}

}  // namespace rh::exporter
