// What the components share of the bus: an outbox that publishes in order
// from synchronous code, the subscriber set-up, and the fields that name a
// task or a job in a message body.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/workflow.hpp"
#include "scheduler/bus.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/rpc.hpp"
#include "scheduler/scope.hpp"

namespace tock::comp {

// Messages posted from plain code go out in the order posted, through one
// coroutine (run()), so a component can change its state and queue what
// follows from it without awaiting in between. Consecutive messages on the
// same topic go out as one bus message whose body is a JSON array of their
// bodies; Inbox unpacks them.
class Outbox {
  public:
    Outbox(Loop& loop, Publisher& pub) : pub_(pub), ready_(loop) {}
    void post(std::string topic, const Json& body) {
        q_.emplace_back(std::move(topic),
                        body.dump(-1, ' ', false, Json::error_handler_t::replace));
        ready_.set();
    }
    bool empty() const { return q_.empty(); }
    // Publish forever; returns when close() was called and all is sent.
    Task<void> run() {
        for (;;) {
            while (!q_.empty()) {
                auto [topic, body] = std::move(q_.front());
                q_.pop_front();
                if (!q_.empty() && q_.front().first == topic) {
                    body = "[" + body;
                    while (!q_.empty() && q_.front().first == topic) {
                        body += "," + q_.front().second;
                        q_.pop_front();
                    }
                    body += "]";
                }
                co_await pub_.publish(topic, body);
            }
            if (closed_) co_return;
            ready_.reset();
            co_await ready_.wait();
        }
    }
    void close() {
        closed_ = true;
        ready_.set();
    }

  private:
    Publisher& pub_;
    std::deque<std::pair<std::string, std::string>> q_;
    Event ready_;
    bool closed_ = false;
};

// A bus body as JSON: what Json::parse gives, several times faster (simdjson
// reads it; docs/architecture.md says why). Throws on a malformed body.
Json decode(std::string_view body);

// Subscribe to `topics` on every endpoint; then co_await sub.ready().
inline void listen(Subscriber& sub, const std::vector<std::string>& endpoints,
                   const std::vector<std::string>& topics) {
    for (const auto& t : topics) sub.subscribe(t);
    for (const auto& e : endpoints) sub.connect(e);
}

// A subscriber's messages one by one, batches (Outbox) unpacked. A gap on the
// internal bus is a bug worth stopping for, so BusGap propagates.
class Inbox {
  public:
    explicit Inbox(Subscriber& sub) : sub_(sub) {}
    Task<std::pair<std::string, Json>> next() {
        if (q_.empty()) {
            BusMessage m = co_await sub_.recv();
            Json body = decode(m.body);
            if (body.is_array()) {
                for (auto& b : body) q_.emplace_back(m.topic, std::move(b));
            } else {
                q_.emplace_back(std::move(m.topic), std::move(body));
            }
        }
        auto front = std::move(q_.front());
        q_.pop_front();
        co_return front;
    }
    // Nothing unpacked is waiting: the next() will wait for the bus.
    bool empty() const { return q_.empty(); }

  private:
    Subscriber& sub_;
    std::deque<std::pair<std::string, Json>> q_;
};

// Now, in microseconds since the Unix epoch: the instants messages, job
// times and the run database record.
inline std::int64_t unix_micros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A run length, delay or timeout on the scheduler's clock; nominal months
// count as 30 days.
inline Duration to_duration(const config::Interval& i) {
    return std::chrono::seconds(i.seconds + i.months * 30 * 86400);
}

// A date-time cycle point as an instant on the scheduler's clock (points are
// absolute instants whatever zone they are written in).
inline TimePoint wall_time(config::Point p) {
    constexpr std::int64_t kUnixFromYear1 = 62'135'596'800;  // 0001-01-01T00Z to 1970
    return TimePoint(std::chrono::seconds(p.value - kUnixFromYear1));
}

// A task or job in a message body: {"cycle", "point", "task", "num"}.
inline Json task_fields(const config::Workflow& wf, config::Point p, const std::string& task,
                        int num = 0) {
    Json j = {{"cycle", wf.cycling.format(p)}, {"point", p.value}, {"task", task}};
    if (num > 0) j["num"] = num;
    return j;
}
inline config::Point point_of(const Json& j) {
    return config::Point{j.at("point").get<std::int64_t>()};
}
// "CYCLE/TASK" and "CYCLE/TASK/NN"
inline std::string task_name(const Json& j) {
    return j.at("cycle").get<std::string>() + "/" + j.at("task").get<std::string>();
}
inline std::string job_name(const Json& j) {
    const int num = j.at("num").get<int>();
    return task_name(j) + "/" + (num < 10 ? "0" : "") + std::to_string(num);
}

}  // namespace tock::comp
