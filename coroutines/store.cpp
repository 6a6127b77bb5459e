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
#include <chrono>
#include <exception>
#include <stdexcept>
#include <vector>

#include "coroutines/components.hpp"
#include "coroutines/run_db.hpp"
#include "coroutines/wire.hpp"

namespace tock::comp {

namespace {

// The store reads the pool's bodies as BusEvents (each_event): it reads
// every task event of the run, and building nlohmann values for them was a
// tenth of a simulated run's time.
void write(store::RunDb& db, const std::vector<BusMessage>& batch) {
    db.begin();
    try {
        const std::int64_t now = unix_micros();
        for (const auto& m : batch) {
            // What the database records: task events, workflow events and
            // operators' commands, in the transaction of what they changed.
            if (m.topic == "command.done") {
                const Json body = decode(m.body);
                if (body.is_array()) {
                    for (const auto& b : body) db.record_command(b, now);
                } else {
                    db.record_command(body, now);
                }
                continue;
            }
            if (m.topic.rfind("task.", 0) != 0 && m.topic != "workflow") continue;
            each_event(m.topic, m.body, [&](const BusEvent& e) { db.apply(e, now); });
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
        write(db, batch);
        for (const auto& m : batch) co_await pub.publish(m.topic, m.body);
    }
}

}  // namespace tock::comp
