// store: the run database, written ahead of everything that follows.
//
// The store is the task pool's only subscriber. What the pool publishes (task
// events, submit requests, xtrigger requests, workflow events) is written to
// the run database, committed, and only then published again, unchanged, on
// the store's own endpoint, where every other component takes it. So a job is
// launched only after the record of its submission is durable, and no event
// handler, log line or client sees a state change the database could lose.
//
// Commits are grouped: everything that arrived while the previous commit ran
// goes in one transaction, so a busy pool costs one commit per loop turn, not
// one per event. A database error (a full disk, a lock held too long) ends
// the component, and with it the run, before anything of the failed batch is
// published; the next start restarts from the last commit.
#include <simdjson.h>

#include <chrono>
#include <stdexcept>
#include <exception>
#include <vector>

#include "coroutines/components.hpp"
#include "coroutines/run_db.hpp"
#include "coroutines/wire.hpp"

namespace tock::comp {

namespace {

using simdjson::dom::element;

std::int64_t integer(element v) {
    if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64().value());
    return v.get_int64().value();
}

std::vector<std::string_view> strings(element v) {
    std::vector<std::string_view> out;
    // Each array and object is bound to a name first: a range-for over
    // get_array().value() would walk a destroyed temporary.
    const simdjson::dom::array a = v.get_array().value();
    for (const element x : a) out.push_back(x.get_string().value());
    return out;
}

// A body's object, field by field, into what the database records. Fields
// it does not record are skipped; a field of the wrong type throws.
store::Event event(std::string_view topic, element body) {
    store::Event e;
    e.topic = topic;
    const simdjson::dom::object fields = body.get_object().value();
    for (const auto [k, v] : fields) {
        if (k == "event") {
            e.event = v.get_string().value();
        } else if (k == "point") {
            e.point = integer(v);
        } else if (k == "task") {
            e.task = v.get_string().value();
        } else if (k == "cycle") {
            e.cycle = v.get_string().value();
        } else if (k == "state") {
            e.state = v.get_string().value();
        } else if (k == "num") {
            e.num = static_cast<int>(integer(v));
        } else if (k == "message") {
            e.message = v.get_string().value();
        } else if (k == "output") {
            e.output = v.get_string().value();
        } else if (k == "error") {
            e.error = v.get_string().value();
        } else if (k == "runner") {
            e.runner = v.get_string().value();
        } else if (k == "triggered_by") {
            e.triggered_by = strings(v);
        } else if (k == "pid") {
            e.pid = integer(v);
        } else if (k == "at") {
            e.at = integer(v);
        } else if (k == "exit") {
            e.exit = integer(v);
        } else if (k == "signal") {
            e.signal = integer(v);
        } else if (k == "label") {
            e.label = v.get_string().value();
        } else if (k == "kind") {
            e.kind = v.get_string().value();
        } else if (k == "restart") {
            e.restart = v.get_bool().value();
        } else if (k == "row") {
            e.has_row = true;
            const simdjson::dom::object row = v.get_object().value();
            for (const auto [rk, rv] : row) {
                if (rk == "in_pool") {
                    e.in_pool = rv.get_bool().value();
                } else if (rk == "held") {
                    e.held = rv.get_bool().value();
                } else if (rk == "retries") {
                    e.retries = static_cast<int>(integer(rv));
                } else if (rk == "submit_retries") {
                    e.submit_retries = static_cast<int>(integer(rv));
                } else if (rk == "retry_at") {
                    e.retry_at = integer(rv);
                } else if (rk == "outputs") {
                    e.outputs = strings(rv);
                }
            }
        }
    }
    return e;
}

// The store reads the pool's bodies straight from simdjson's tape into
// store::Event: it reads every task event of the run, and building nlohmann
// values for them was a tenth of a simulated run's time.
void write(store::RunDb& db, simdjson::dom::parser& parser, const std::vector<BusMessage>& batch) {
    db.begin();
    try {
        const std::int64_t now = unix_micros();
        for (const auto& m : batch) {
            // What the database records: task events and workflow events.
            if (m.topic.rfind("task.", 0) != 0 && m.topic != "workflow") continue;
            element body;
            if (const auto err = parser.parse(m.body.data(), m.body.size(), true).get(body)) {
                throw std::runtime_error(std::string("store: bad message body: ") +
                                         simdjson::error_message(err));
            }
            if (body.is_array()) {
                const simdjson::dom::array events = body.get_array().value();
                for (const element b : events) db.apply(event(m.topic, b), now);
            } else {
                db.apply(event(m.topic, body), now);
            }
        }
        db.commit();
    } catch (...) {
        db.rollback();
        throw;
    }
}

}  // namespace

Task<void> store(Loop& loop, const Endpoints& ep, std::string db_path) {
    store::RunDb db(db_path);
    simdjson::dom::parser parser;
    Publisher pub(loop, "store", ep.store);
    Subscriber sub(loop, "store");
    listen(sub, {ep.task_pool}, {""});
    co_await sub.ready();
    co_await pub.wait_for_subscribers(ep.store_subscribers);
    std::vector<BusMessage> pending;
    std::exception_ptr failed;  // the receiver's error (a bus gap) ends the store
    Event arrived(loop);
    Scope scope(loop);
    scope.spawn([](Subscriber& sub, std::vector<BusMessage>& pending, std::exception_ptr& failed,
                   Event& arrived) -> Task<void> {
        try {
            for (;;) {
                pending.push_back(co_await sub.recv());
                arrived.set();
            }
        } catch (...) {
            failed = std::current_exception();
            arrived.set();
        }
    }(sub, pending, failed, arrived));
    for (;;) {
        co_await arrived.wait();
        arrived.reset();
        if (failed) std::rethrow_exception(failed);
        // Everything received by now, in one transaction.
        std::vector<BusMessage> batch = std::exchange(pending, {});
        write(db, parser, batch);
        for (const auto& m : batch) co_await pub.publish(m.topic, m.body);
    }
}

}  // namespace tock::comp
