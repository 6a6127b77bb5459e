// task_pool: the component around pool::TaskPool.
//
// Job events, satisfied xtriggers and stop requests come in; after each batch
// of them (all that is ready in one loop turn) the pool is asked what may run
// now, and submit requests, xtrigger requests and task events go out. Retry
// delays and clock-expiry times are timers on the scheduler's clock. When the
// pool is complete, or a stop is asked for, a final `workflow` shutdown event
// carries the outcome and the tasks left in the pool.
#include "coroutines/pool_driver.hpp"

namespace tock::comp {

using pool::TaskId;
using pool_driver::Driver;

Task<void> task_pool(Loop& loop, const config::Workflow& wf, const Endpoints& ep,
                     PoolOptions opts) {
    Publisher pub(loop, "task_pool", ep.task_pool);
    Subscriber sub(loop, "task_pool");
    listen(sub, {ep.job_messages, ep.xtriggers, ep.health, ep.commands},
           {"job.", "xtrigger.", "stop", "timeout", "command"});
    co_await sub.ready();
    co_await pub.wait_for_subscribers(ep.task_pool_subscribers);
    Outbox out(loop, pub);
    Driver d(loop, wf, out);
    d.live = opts.live;
    d.pool.track_spawned(true);
    d.run_dir = opts.run_dir;
    std::vector<TaskId> start;
    for (const auto& s : opts.start_tasks) {
        const auto slash = s.find('/');
        start.push_back({wf.cycling.parse_point(s.substr(0, slash)), s.substr(slash + 1)});
    }
    if (!opts.start_cycle_point.empty())
        d.pool.warm_start(wf.cycling.parse_point(opts.start_cycle_point));
    if (opts.restore) {
        // What shapes the pool (stop and hold-after points, holds to come)
        // before it is rebuilt; what acts on its tasks (triggers,
        // prerequisites set by hand) after.
        const Json settings =
            opts.restore->settings ? Json::parse(*opts.restore->settings) : Json::object();
        d.apply_settings(settings, false);
        d.restore(*opts.restore, start);
        d.apply_settings(settings, true);
    } else {
        d.pool.start(start);
    }
    out.post("workflow", Json{{"event", "startup"}, {"restart", opts.restore.has_value()}});
    if (opts.paused && !d.paused) {
        d.paused = true;
        out.post("workflow", Json{{"event", "paused"}});
        d.save_settings();
    } else if (d.paused) {
        out.post("workflow", Json{{"event", "paused"}});  // still, after a restart
    }
    Scope scope(loop);
    scope.spawn(d.receive(sub));
    scope.spawn(d.stepper());
    d.dirty.set();
    scope.spawn([](Driver& d, Outbox& out) -> Task<void> {
        co_await d.finished.wait();
        out.close();
    }(d, out));
    co_await out.run();
    // Everything is sent, the shutdown event last. Stay, so that nothing
    // queued for the subscribers is dropped, until the scheduler ends.
    Event never(loop);
    co_await never.wait();
}

}  // namespace tock::comp
