// What the components share of the bus: an outbox that publishes in order
// from synchronous code, the subscriber set-up, and the fields that name a
// task or a job in a message body.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/workflow.hpp"
#include "coroutines/event.hpp"
#include "scheduler/bus.hpp"
#include "scheduler/clock.hpp"
#include "scheduler/rpc.hpp"
#include "scheduler/scope.hpp"

namespace tock::comp {

// `v` as a JSON string, appended to `out`. A string of plain printable
// ASCII goes in as it is; any other goes through nlohmann's serializer,
// which escapes it and replaces invalid UTF-8.
void append_quoted(std::string& out, std::string_view v);

// A JSON object written straight to text, for the bus's most frequent
// bodies (task events, the job stream, submit requests): a task event
// written this way costs about a fifth of building the same nlohmann object
// and dumping it. Keys are plain field names (letters, digits, `_`, `-`),
// written in the order given, each once; string values go through
// append_quoted.
class JsonText {
  public:
    // Room for a task event at the outset, so that writing one does not
    // grow the string several times over.
    JsonText() {
        s_.reserve(256);
        s_ += '{';
    }
    JsonText& str(std::string_view key, std::string_view v);
    JsonText& num(std::string_view key, std::int64_t v);
    JsonText& boolean(std::string_view key, bool v);
    JsonText& raw(std::string_view key, std::string_view json_text);
    template <class Strings>
    JsonText& strs(std::string_view key, const Strings& v) {
        name(key);
        s_ += '[';
        bool first = true;
        for (const auto& x : v) {
            if (!first) s_ += ',';
            first = false;
            quote(x);
        }
        s_ += ']';
        return *this;
    }
    // The fields {"cycle", "point", "task", "num"} of task_fields().
    JsonText& task(const config::Workflow& wf, config::Point p, std::string_view task, int num = 0);
    // The object's text; the writer is spent.
    std::string take() {
        s_ += '}';
        return std::move(s_);
    }

  private:
    void name(std::string_view key);
    void quote(std::string_view v) { append_quoted(s_, v); }
    std::string s_;
};

// A topic's group: the topic up to and including its first '.' ("task." for
// "task.started"), or "" for a topic without one. A topic that ends with its
// group's '.' names a batch of the group's topics (Outbox).
inline std::string_view topic_group(std::string_view topic) {
    const auto dot = topic.find('.');
    return dot == std::string_view::npos ? std::string_view() : topic.substr(0, dot + 1);
}
inline bool is_group(std::string_view topic) {
    return !topic.empty() && topic_group(topic).size() == topic.size();
}

// Messages posted from plain code go out in the order posted, through one
// coroutine (run()), so a component can change its state and queue what
// follows from it without awaiting in between. Consecutive messages go out
// as one bus message when they can (Inbox and each_event unpack them):
// - on the same topic: the topic, and a JSON array of their bodies;
// - on topics of one group ("job.submitted", "job.said", ...): the group
//   ("job.") as the topic, and an array of [topic, body] pairs, in order.
// A job's submission and its start, posted one job after another, so
// travel as one message for a whole batch of jobs, not two for each job.
// Subscribers to a group's topics subscribe to the group.
class Outbox {
  public:
    Outbox(Loop& loop, Publisher& pub) : pub_(pub), ready_(loop) {}
    void post(std::string topic, const Json& body) {
        post_text(std::move(topic), body.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    // A body already written as JSON text (JsonText).
    void post_text(std::string topic, std::string body) {
        q_.emplace_back(std::move(topic), std::move(body));
        ready_.set();
    }
    bool empty() const { return q_.empty(); }
    // Publish forever; returns when close() was called and all is sent.
    Task<void> run() {
        for (;;) {
            while (!q_.empty()) {
                auto [topic, body] = std::move(q_.front());
                q_.pop_front();
                // How many of the next messages go with this one, and
                // whether they are all on its topic.
                const std::string group(topic_group(topic));
                std::size_t more = 0;
                std::size_t size = body.size() + topic.size() + 6;  // the batch's, at most
                bool mixed = false;
                for (const auto& [t, b] : q_) {
                    if (t == topic) {
                        ++more;
                    } else if (!group.empty() && topic_group(t) == group) {
                        ++more;
                        mixed = true;
                    } else {
                        break;
                    }
                    size += b.size() + t.size() + 6;
                }
                if (more > 0) {
                    std::string batch;
                    batch.reserve(size + 2);
                    batch += '[';
                    auto add = [&](const std::string& t, const std::string& b) {
                        if (batch.size() > 1) batch += ',';
                        if (!mixed) {
                            batch += b;
                            return;
                        }
                        batch += '[';
                        append_quoted(batch, t);
                        batch += ',';
                        batch += b;
                        batch += ']';
                    };
                    add(topic, body);
                    for (; more > 0; --more) {
                        add(q_.front().first, q_.front().second);
                        q_.pop_front();
                    }
                    batch += ']';
                    body = std::move(batch);
                    if (mixed) topic = group;
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

// A body of task events (one, or a batch of one topic or of a group's
// topics: Outbox), read without building nlohmann values: `f` gets each
// event's fields, as views that live until it returns (`f` may read other
// bodies meanwhile), its topic the event's own. For the readers of every
// task and job event: the store, the reporter, job_messages, the pool's job
// events. Throws on a malformed body or a field of the wrong type.
void each_event(std::string_view topic, std::string_view body,
                const std::function<void(const BusEvent&)>& f);

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
            if (is_group(m.topic)) {
                if (!body.is_array())
                    throw std::runtime_error("bad message body: a batch of " + m.topic +
                                             " is not an array");
                for (auto& x : body) {
                    if (!x.is_array() || x.size() != 2 || !x[0].is_string())
                        throw std::runtime_error("bad message body: an entry of a batch of " +
                                                 m.topic + " is not a [topic, body] pair");
                    q_.emplace_back(x[0].get<std::string>(), std::move(x[1]));
                }
            } else if (body.is_array()) {
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
// "CYCLE/TASK" and "CYCLE/TASK/NN", from their parts or from a body's fields.
inline std::string task_name(std::string_view cycle, std::string_view task) {
    std::string s(cycle);
    s += '/';
    s += task;
    return s;
}
inline std::string job_name(std::string_view cycle, std::string_view task, int num) {
    return task_name(cycle, task) + (num < 10 ? "/0" : "/") + std::to_string(num);
}
inline std::string task_name(const Json& j) {
    return task_name(j.at("cycle").get_ref<const std::string&>(),
                     j.at("task").get_ref<const std::string&>());
}
inline std::string job_name(const Json& j) {
    return job_name(j.at("cycle").get_ref<const std::string&>(),
                    j.at("task").get_ref<const std::string&>(), j.at("num").get<int>());
}

}  // namespace tock::comp
