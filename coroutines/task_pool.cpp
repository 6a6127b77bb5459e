#include "coroutines/task_pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace tock::pool {

using config::Expr;
using config::NodeRef;
using config::Prereq;

std::string clock_trigger_label(const std::string& task) {
    return "clock_trigger." + task;
}

const char* to_string(State s) {
    switch (s) {
        case State::waiting:
            return "waiting";
        case State::preparing:
            return "preparing";
        case State::submitted:
            return "submitted";
        case State::running:
            return "running";
        case State::succeeded:
            return "succeeded";
        case State::failed:
            return "failed";
        case State::submit_failed:
            return "submit-failed";
        case State::expired:
            return "expired";
    }
    return "?";
}

std::optional<State> state_from(const std::string& s) {
    for (State x : {State::waiting, State::preparing, State::submitted, State::running,
                    State::succeeded, State::failed, State::submit_failed, State::expired}) {
        if (s == to_string(x)) return x;
    }
    return std::nullopt;
}

namespace {

void each_trigger(const Prereq& p, const std::function<void(const config::Trigger&)>& f) {
    if (p.kind == Prereq::Kind::trigger) {
        f(p.trigger);
        return;
    }
    for (const auto& c : p.children) each_trigger(c, f);
}

bool active_state(State s) {
    return s == State::preparing || s == State::submitted || s == State::running;
}

bool finished_state(State s) {
    return s == State::succeeded || s == State::failed || s == State::submit_failed ||
           s == State::expired;
}

}  // namespace

TaskPool::TaskPool(const config::Workflow& wf)
    : wf_(wf), stop_(wf.stop), hold_after_(wf.hold_after) {
    // Who waits for which output: (task, output) -> downstream tasks, by section.
    for (std::size_t s = 0; s < wf_.graph.size(); ++s) {
        for (const auto& d : wf_.graph[s].deps) {
            if (!d.left) continue;
            const std::vector<std::string> targets = wf_.tasks_of(d.right.name);
            config::for_each_node(*d.left, [&](const NodeRef& r) {
                if (r.xtrigger) return;
                if (config::Workflow::absolute_offset(r.offset)) {
                    lazy_downstream_ = true;
                    absolute_points_.insert(wf_.offset_point(r.offset, wf_.initial));
                } else if (!r.offset.empty()) {
                    // A compound offset ([-P1D+PT18H]) keeps every finished task.
                    const auto o = wf_.cycling.offset_interval(r.offset);
                    if (!o || wf_.initial < wf_.cycling.add(wf_.initial, *o)) {
                        prunable_ = false;
                    } else {
                        lookback_.push_back(*o);
                    }
                }
                const std::string out = config::output_of(r, wf_.is_family(r.name));
                for (const auto& n : wf_.tasks_of(r.name))
                    downstream_[{n, out}].push_back({s, targets, r.offset, d.right.suicide});
            });
        }
    }
}

const std::vector<config::TaskAt>& TaskPool::at(Point p) {
    auto it = at_cache_.find(p);
    if (it == at_cache_.end()) it = at_cache_.emplace(p, wf_.tasks_at(p)).first;
    return it->second;
}

bool TaskPool::parentless(const config::TaskAt& t) const {
    // Suicide triggers are no parents (as Cylc 8 counts them): "a => !b"
    // alone leaves b parentless.
    bool has_parent = false;
    for (const auto& p : t.prereqs) {
        each_trigger(p, [&](const config::Trigger& tr) {
            if (!tr.task.empty() && !tr.pre_initial && !tr.absolute &&
                !(start_cycle_ && tr.point < *start_point_))
                has_parent = true;
        });
    }
    return !has_parent;
}

bool TaskPool::auto_spawned(const config::TaskAt& t) const {
    // A warm start from start tasks spawns only what follows from them, as
    // Cylc does: a parentless task's later instances come once one of its
    // instances has been in the pool, never from nothing. A warm start from
    // a cycle point (--start-cycle-point) spawns parentless tasks from there.
    return parentless(t) && (!start_point_ || start_cycle_ || named_.count(t.name) > 0);
}

void TaskPool::warm_start(Point p) {
    start_point_ = p;
    start_cycle_ = true;
}

void TaskPool::start(const std::vector<TaskId>& start_tasks) {
    if (start_point_) {
        next_parentless_ = *start_point_;
        if (at(*start_point_).empty()) next_parentless_ = wf_.next_point(*start_point_);
    } else if (start_tasks.empty()) {
        next_parentless_ = wf_.first_point();
    } else {
        // A warm start: these tasks run first, whatever they wait for; what
        // lies before the earliest of them counts as done.
        start_point_ = std::min_element(start_tasks.begin(), start_tasks.end())->point;
        next_parentless_ = *start_point_;
        if (at(*start_point_).empty()) next_parentless_ = wf_.next_point(*start_point_);
        for (const auto& id : start_tasks) {
            spawn(id);
            start_here(id);
        }
    }
    spawn_parentless();
}

void TaskPool::start_here(const TaskId& id) {
    if (auto it = pool_.find(id); it != pool_.end()) {
        auto& pre = it->second.prereqs;
        pre.erase(std::remove_if(pre.begin(), pre.end(),
                                 [](const Prereq& p) {
                                     return p.kind != Prereq::Kind::trigger ||
                                            p.trigger.xtrigger.empty();
                                 }),
                  pre.end());
        recheck(id);
    }
}

void TaskPool::restore(const std::vector<Restored>& tasks,
                       const std::vector<std::pair<std::string, Point>>& xtriggers,
                       const std::vector<TaskId>& start_tasks) {
    if (!start_tasks.empty()) {
        start_point_ = std::min_element(start_tasks.begin(), start_tasks.end())->point;
    }
    for (const auto& x : xtriggers) xtriggers_.insert(x);
    if (start_point_) {
        for (const auto& r : tasks) named_.insert(r.id.name);
    }
    for (const auto& r : tasks) {
        if (r.in_pool) continue;
        done_[r.id] = {std::set<std::string>(r.outputs.begin(), r.outputs.end()), r.submit_num};
        ++completed_total_;
    }
    for (const auto& r : tasks) {
        if (!r.in_pool) continue;
        spawn(r.id);
        auto it = pool_.find(r.id);
        if (it == pool_.end()) continue;  // no longer in the graph
        Task& t = it->second;
        t.state = r.state;
        t.outputs = std::set<std::string>(r.outputs.begin(), r.outputs.end());
        t.submit_num = r.submit_num;
        t.retries_used = r.retries_used;
        t.submit_retries_used = r.submit_retries_used;
        t.retry_pending = r.retry_pending;
        t.held = r.held;
        if (t.state == State::preparing || t.state == State::submitted ||
            t.state == State::running) {
            ++queue_active_[queue_of(r.id.name)];
        }
    }
    for (const auto& id : start_tasks) {
        if (done_.count(id)) continue;
        const bool recorded = pool_.count(id) > 0;
        spawn(id);
        // A start task that has not run yet waits for nothing but its xtriggers.
        if (!recorded || pool_.at(id).state == State::waiting) start_here(id);
    }
    // What the recorded outputs spawned, unless it ran already or is here.
    for (const auto& r : tasks) {
        for (const auto& o : r.outputs) spawn_downstream(r.id, o);
    }
    // The parentless tasks: from the beginning, skipping those that ran.
    next_parentless_ = start_point_ ? *start_point_ : wf_.first_point();
    if (start_point_ && at(*start_point_).empty()) next_parentless_ = wf_.next_point(*start_point_);
    spawn_parentless();
    // The walk from the beginning cached every point it passed.
    for (auto it = at_cache_.begin(); it != at_cache_.end();) {
        if (!pool_.empty() && it->first < pool_.begin()->first.point) {
            it = at_cache_.erase(it);
        } else {
            ++it;
        }
    }
}

void TaskPool::spawn(const TaskId& id) {
    if (pool_.count(id) || done_.count(id)) {
        return;  // already here, or already ran: a task runs once per cycle point
    }
    if (stop_ && id.point > *stop_) return;
    const auto& tasks = at(id.point);
    auto t =
        std::find_if(tasks.begin(), tasks.end(), [&](const auto& x) { return x.name == id.name; });
    if (t == tasks.end()) return;  // not on any recurrence at that point
    Task task;
    task.id = id;
    task.prereqs = t->prereqs;
    task.suicide = t->suicide;
    if (wf_.clock_trigger.count(id.name)) {
        // special_tasks.clock_trigger: an implicit wall-clock xtrigger.
        config::Prereq clock;
        clock.trigger.xtrigger = clock_trigger_label(id.name);
        clock.trigger.point = id.point;
        task.prereqs.push_back(clock);
    }
    task.held = (hold_after_ && id.point > *hold_after_) || hold_later_.erase(id) > 0;
    // Against the limit release() last applied: when the limit moves,
    // update_runahead() sets every task again.
    task.runahead = last_limit_ && id.point > *last_limit_;
    pool_.emplace(id, std::move(task));
    if (start_point_) named_.insert(id.name);
    recheck(id);
    ++spawned_total_;
    if (track_spawned_) spawned_.push_back(id);
}

void TaskPool::spawn_parentless() {
    for (;;) {
        if (!next_parentless_) return;
        if (pool_.empty()) {
            // Nothing in the pool to hold the runahead base: move straight to
            // the next point that has a parentless task, or conclude there is
            // none (within 10,000 points) and that nothing can start again.
            std::optional<Point> p = next_parentless_;
            int scanned = 0;
            while (p && scanned++ < 10000 && !(stop_ && *p > *stop_)) {
                const auto& tasks = at(*p);
                if (std::any_of(tasks.begin(), tasks.end(),
                                [&](auto& t) { return auto_spawned(t); }))
                    break;
                at_cache_.erase(*p);
                p = wf_.next_point(*p);
            }
            if (!p || scanned > 10000 || (stop_ && *p > *stop_)) {
                next_parentless_.reset();
                return;
            }
            next_parentless_ = p;
        }
        const auto limit = runahead_limit();
        if (limit && *next_parentless_ > *limit) return;
        if (stop_ && *next_parentless_ > *stop_) {
            next_parentless_.reset();
            return;
        }
        const Point p = *next_parentless_;
        for (const auto& t : at(p)) {
            if (auto_spawned(t)) spawn({p, t.name});
        }
        next_parentless_ = wf_.next_point(p);
    }
}

std::optional<Point> TaskPool::runahead_limit() const {
    // The base: the oldest point with a task still in the pool, or else the
    // next point whose parentless tasks are due.
    std::optional<Point> base;
    if (!pool_.empty()) base = pool_.begin()->first.point;
    if (next_parentless_ && (!base || *next_parentless_ < *base)) base = next_parentless_;
    if (!base) return std::nullopt;
    const config::Interval r = wf_.runahead.value_or(config::Interval{4, 0, 0});
    if (r.steps > 0 && r.months == 0 && r.seconds == 0) {
        Point limit = *base;
        for (std::int64_t i = 0; i < r.steps; ++i) {
            auto n = wf_.next_point(limit);
            if (!n) break;
            limit = *n;
        }
        return limit;
    }
    return wf_.cycling.add(*base, r);
}

void TaskPool::update_runahead() {
    const auto limit = runahead_limit();
    if (limit == last_limit_) return;
    last_limit_ = limit;
    for (auto& [id, t] : pool_) {
        const bool r = limit && id.point > *limit;
        if (r != t.runahead) {
            t.runahead = r;
            recheck(id);
        }
    }
}

void TaskPool::recheck_all() {
    for (const auto& [id, t] : pool_) recheck(id);
}

bool TaskPool::satisfied(const Prereq& p, const Task* task) const {
    switch (p.kind) {
        case Prereq::Kind::trigger: {
            const auto& t = p.trigger;
            if (!t.xtrigger.empty()) return xtriggers_.count({t.xtrigger, t.point}) > 0;
            if (t.pre_initial) return true;
            if (start_point_ && t.point < *start_point_) return true;  // before a warm start
            if (task && task->pre_set.count({t.point, t.task, t.output})) return true;
            auto it = done_.find({t.point, t.task});
            if (it != done_.end()) return it->second.outputs.count(t.output) > 0;
            auto in = pool_.find({t.point, t.task});
            return in != pool_.end() && in->second.outputs.count(t.output) > 0;
        }
        case Prereq::Kind::all_of:
            return std::all_of(p.children.begin(), p.children.end(),
                               [&](auto& c) { return satisfied(c, task); });
        case Prereq::Kind::any_of:
            return std::any_of(p.children.begin(), p.children.end(),
                               [&](auto& c) { return satisfied(c, task); });
    }
    return false;
}

bool TaskPool::ready(const Task& t) const {
    if (t.state != State::waiting) return false;
    if (t.forced) return true;
    if (t.retry_pending || t.runahead || t.held) return false;
    if (stop_ && t.id.point > *stop_) return false;
    return std::all_of(t.prereqs.begin(), t.prereqs.end(),
                       [&](auto& p) { return satisfied(p, &t); });
}

std::string TaskPool::queue_of(const std::string& task) const {
    for (const auto& [name, q] : wf_.queues) {
        if (std::find(q.tasks.begin(), q.tasks.end(), task) != q.tasks.end()) return name;
    }
    return "";
}

std::vector<TaskId> TaskPool::release() {
    update_runahead();
    for (const auto& id : std::exchange(recheck_, {})) {
        auto it = pool_.find(id);
        const std::string q = queue_of(id.name);
        if (it != pool_.end() && it->second.forced && ready(it->second)) {
            if (auto r = ready_.find(q); r != ready_.end()) r->second.erase(id);
            forced_.insert(id);
        } else if (it != pool_.end() && ready(it->second)) {
            ready_[q].insert(id);
            it->second.queued = true;  // until it takes a slot below
        } else {
            if (auto r = ready_.find(q); r != ready_.end()) r->second.erase(id);
            if (it != pool_.end()) it->second.queued = false;
        }
    }
    // Each queue lets its first ready tasks (in pool order) take its free
    // slots; the rest stay queued.
    std::vector<TaskId> out;
    // Triggered by hand: past the queue's limit, but holding a slot of it.
    for (const auto& id : std::exchange(forced_, {})) {
        auto it = pool_.find(id);
        if (it == pool_.end() || !it->second.forced || it->second.state != State::waiting) continue;
        Task& t = it->second;
        t.forced = false;
        t.queued = false;
        t.held = false;
        t.retry_pending = false;
        t.state = State::preparing;
        ++t.submit_num;
        ++queue_active_[queue_of(id.name)];
        out.push_back(id);
    }
    for (auto& [q, ids] : ready_) {
        const int limit = q.empty() ? 0 : wf_.queues.at(q).limit;
        while (!ids.empty() && (limit <= 0 || queue_active_[q] < limit)) {
            const TaskId id = *ids.begin();
            ids.erase(ids.begin());
            Task& t = pool_.at(id);
            t.queued = false;
            t.state = State::preparing;
            ++t.submit_num;
            ++queue_active_[q];
            out.push_back(id);
        }
    }
    std::sort(out.begin(), out.end());
    prune_done();
    return out;
}

void TaskPool::complete_output(const TaskId& id, const std::string& output) {
    auto it = pool_.find(id);
    if (it == pool_.end()) return;
    if (!it->second.outputs.insert(output).second) return;
    spawn_downstream(id, output);
}

void TaskPool::spawn_downstream(const TaskId& id, const std::string& output) {
    auto dn = downstream_.find({id.name, output});
    if (dn == downstream_.end()) return;
    for (const auto& d : dn->second) {
        if (config::Workflow::absolute_offset(d.offset)) {
            // foo[^] => bar: only foo at that very point spawns bar, at the
            // first point of bar's recurrence (as Cylc does); bar's later
            // instances are spawned by their other parents, or as parentless
            // tasks, and every instance in the pool is rechecked below.
            if (wf_.offset_point(d.offset, id.point) != id.point) continue;
            const auto first = wf_.first_on(wf_.graph[d.section]);
            if (!first || (wf_.final && *first > *wf_.final)) continue;
            for (const auto& name : d.tasks) {
                if (d.suicide) {
                    suicide_check({*first, name}, id);
                } else {
                    spawn({*first, name});
                }
            }
            continue;
        }
        Point down = id.point;
        if (!d.offset.empty()) {
            const auto dn = wf_.cycling.offset_downstream(d.offset, id.point);
            if (!dn) continue;
            down = *dn;
        }
        if (down < wf_.initial || (wf_.final && down > *wf_.final)) continue;
        if (!wf_.on(wf_.graph[d.section], down)) continue;
        for (const auto& name : d.tasks) {
            if (d.suicide) {
                suicide_check({down, name}, id);
                continue;
            }
            spawn({down, name});
            recheck({down, name});
        }
    }
    if (lazy_downstream_) recheck_all();  // waiters on absolute points are not indexed
}

void TaskPool::suicide_check(const TaskId& id, const TaskId& upstream) {
    // A task's own outputs do not remove it (validation refuses "a => !a").
    if (id == upstream || done_.count(id)) return;  // ran, or removed already
    const Task* task = nullptr;
    const std::vector<Prereq>* suicide = nullptr;
    if (auto it = pool_.find(id); it != pool_.end()) {
        task = &it->second;
        suicide = &task->suicide;
    } else {
        if (stop_ && id.point > *stop_) return;
        const auto& tasks = at(id.point);
        auto t = std::find_if(tasks.begin(), tasks.end(),
                              [&](const auto& x) { return x.name == id.name; });
        if (t == tasks.end()) return;  // not on the graph at that point
        suicide = &t->suicide;
    }
    if (suicide->empty() ||
        !std::all_of(suicide->begin(), suicide->end(), [&](auto& p) { return satisfied(p, task); }))
        return;
    Removal r;
    r.id = id;
    for (const auto& p : *suicide) {
        each_trigger(p, [&](const config::Trigger& tr) {
            if (tr.task.empty() || tr.pre_initial) return;
            Prereq leaf;
            leaf.trigger = tr;
            if (satisfied(leaf, task)) {
                r.by.push_back(
                    fmt::format("{}/{}:{}", wf_.cycling.format(tr.point), tr.task, tr.output));
            }
        });
    }
    std::sort(r.by.begin(), r.by.end());
    r.by.erase(std::unique(r.by.begin(), r.by.end()), r.by.end());
    if (task) {
        r.state = task->state;
        r.submit_num = task->submit_num;
        bool was_active = false;
        (void)remove(id, was_active);
    } else {
        // Never in the pool: removed all the same, so that it never spawns
        // at this point (Cylc spawns it only to remove it).
        done_[id];
    }
    removed_.push_back(std::move(r));
}

void TaskPool::submitted(const TaskId& id) {
    auto it = pool_.find(id);
    if (it == pool_.end()) return;
    it->second.state = State::submitted;
    complete_output(id, "submitted");
}

void TaskPool::started(const TaskId& id) {
    auto it = pool_.find(id);
    if (it == pool_.end()) return;
    it->second.state = State::running;
    complete_output(id, "started");
}

void TaskPool::output(const TaskId& id, const std::string& output) {
    complete_output(id, output);
}

void TaskPool::finished(const TaskId& id, bool succeeded) {
    auto it = pool_.find(id);
    // A job whose task is no longer active (set done by an operator) ends
    // unheeded: its slot was freed then.
    if (it == pool_.end() || !active_state(it->second.state)) return;
    Task& t = it->second;
    --queue_active_[queue_of(id.name)];
    if (succeeded) {
        t.state = State::succeeded;
        complete_output(id, "succeeded");
        complete_output(id, "finished");
    } else {
        if (!t.killed &&
            schedule_retry(t, wf_.runtime.at(id.name).execution_retry_delays, t.retries_used))
            return;
        t.state = State::failed;
        complete_output(id, "failed");
        complete_output(id, "finished");
    }
    maybe_remove(id);
    spawn_parentless();
}

bool TaskPool::schedule_retry(Task& t, const std::vector<config::Interval>& delays, int& used) {
    if (static_cast<std::size_t>(used) >= delays.size()) return false;
    t.retry_delay = delays[used++];
    t.retry_pending = true;
    t.state = State::waiting;
    return true;
}

void TaskPool::submit_failed(const TaskId& id) {
    auto it = pool_.find(id);
    if (it == pool_.end() || !active_state(it->second.state)) return;
    Task& t = it->second;
    --queue_active_[queue_of(id.name)];
    if (schedule_retry(t, wf_.runtime.at(id.name).submission_retry_delays, t.submit_retries_used))
        return;
    t.state = State::submit_failed;
    complete_output(id, "submit-failed");
    maybe_remove(id);
    spawn_parentless();
}

void TaskPool::retry_due(const TaskId& id) {
    auto it = pool_.find(id);
    if (it == pool_.end()) return;
    it->second.retry_pending = false;
    it->second.retry_delay.reset();
    recheck(id);
}

bool TaskPool::expire(const TaskId& id) {
    auto it = pool_.find(id);
    if (it == pool_.end() || it->second.state != State::waiting) return false;
    it->second.state = State::expired;
    it->second.retry_pending = false;
    recheck(id);
    complete_output(id, "expired");
    maybe_remove(id);
    spawn_parentless();
    return true;
}

void TaskPool::xtrigger(const std::string& label, Point p) {
    failed_xtriggers_.erase({label, p});
    if (xtriggers_.insert({label, p}).second) recheck_all();
}

void TaskPool::xtrigger_failed(const std::string& label, Point p, std::string reason) {
    if (!xtriggers_.count({label, p})) failed_xtriggers_[{label, p}] = std::move(reason);
}

void TaskPool::maybe_remove(const TaskId& id) {
    auto it = pool_.find(id);
    if (it == pool_.end() || !finished_state(it->second.state)) return;
    const Task& t = it->second;
    const config::Runtime& rt = wf_.runtime.at(id.name);
    std::vector<std::string> required = {"succeeded"};
    for (const auto& [o, optional] : rt.optional_outputs) {
        if (!optional && o != "succeeded") required.push_back(o);
    }
    // An expired task is done: it never ran, and its :expired output is
    // what the graph may follow. So is one that could not be submitted when
    // the graph makes that optional (`foo:submit-fail? => bar`): Cylc 8's
    // completion is "succeeded, or submit-failed if that is optional".
    auto sf = rt.optional_outputs.find("submit-failed");
    const bool submit_fail_ok =
        t.state == State::submit_failed && sf != rt.optional_outputs.end() && sf->second;
    for (const auto& o : required) {
        if (t.state != State::expired && !submit_fail_ok && rt.output_required(o) &&
            !t.outputs.count(o))
            return;  // incomplete: it stays
    }
    // The task goes; its outputs stay (with those of an earlier run, if it
    // was triggered again).
    Done& d = done_[id];
    d.outputs.merge(it->second.outputs);
    d.submit_num = t.submit_num;
    pool_.erase(it);
    ++completed_total_;
}

void TaskPool::prune_done() {
    std::optional<Point> base;
    if (!pool_.empty()) base = pool_.begin()->first.point;
    if (next_parentless_ && (!base || *next_parentless_ < *base)) base = next_parentless_;
    if (!base || base == pruned_at_) return;
    pruned_at_ = base;
    // The graph expanded at points behind the base: computed again if ever
    // needed (a spawn at an older point), so it goes whatever the offsets.
    at_cache_.erase(at_cache_.begin(), at_cache_.lower_bound(*base));
    if (!prunable_) return;
    // Nothing in play, or spawned from now on, is older than the base; the
    // furthest a prerequisite looks back from there is the horizon.
    Point horizon = *base;
    for (const auto& o : lookback_) horizon = std::min(horizon, wf_.cycling.add(*base, o));
    for (auto it = done_.begin(); it != done_.end() && it->first.point < horizon;) {
        if (absolute_points_.count(it->first.point)) {
            ++it;
        } else {
            it = done_.erase(it);
        }
    }
}

const Task* TaskPool::find(const TaskId& id) const {
    auto it = pool_.find(id);
    return it == pool_.end() ? nullptr : &it->second;
}

std::size_t TaskPool::active() const {
    // Every active task holds a slot of its queue ("" for none).
    std::size_t n = 0;
    for (const auto& [q, count] : queue_active_) n += static_cast<std::size_t>(count);
    return n;
}

std::set<std::pair<std::string, Point>> TaskPool::wanted_xtriggers() const {
    std::set<std::pair<std::string, Point>> out;
    for (const auto& [id, t] : pool_) {
        if (t.state != State::waiting || t.runahead) continue;
        for (const auto& p : t.prereqs) {
            each_trigger(p, [&](const config::Trigger& tr) {
                if (!tr.xtrigger.empty() && !xtriggers_.count({tr.xtrigger, tr.point}) &&
                    !failed_xtriggers_.count({tr.xtrigger, tr.point})) {
                    out.insert({tr.xtrigger, tr.point});
                }
            });
        }
    }
    return out;
}

bool TaskPool::complete() const {
    return pool_.empty() && !next_parentless_;
}

std::vector<std::string> TaskPool::met(const TaskId& id) const {
    std::vector<std::string> out;
    auto it = pool_.find(id);
    if (it == pool_.end()) return out;
    for (const auto& p : it->second.prereqs) {
        each_trigger(p, [&](const config::Trigger& tr) {
            if (tr.pre_initial || (start_point_ && tr.point < *start_point_)) return;
            Prereq leaf;
            leaf.trigger = tr;
            if (!satisfied(leaf, &it->second)) return;
            out.push_back(
                tr.xtrigger.empty()
                    ? fmt::format("{}/{}:{}", wf_.cycling.format(tr.point), tr.task, tr.output)
                    : fmt::format("@{}", tr.xtrigger));
        });
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<std::pair<std::string, Point>> TaskPool::xtriggers_of(const TaskId& id) const {
    std::vector<std::pair<std::string, Point>> out;
    auto it = pool_.find(id);
    if (it == pool_.end()) return out;
    for (const auto& p : it->second.prereqs) {
        each_trigger(p, [&](const config::Trigger& tr) {
            if (!tr.xtrigger.empty()) out.emplace_back(tr.xtrigger, tr.point);
        });
    }
    return out;
}

std::size_t TaskPool::held() const {
    return static_cast<std::size_t>(std::count_if(pool_.begin(), pool_.end(), [](auto& kv) {
        return kv.second.held && !finished_state(kv.second.state);
    }));
}

bool TaskPool::stalled() const {
    if (complete() || active() > 0) return false;
    if (!wanted_xtriggers().empty()) return false;
    for (const auto& [id, t] : pool_) {
        if (t.retry_pending || ready(t) || (t.held && !finished_state(t.state))) return false;
    }
    // Parentless tasks still to come within the limit would have been spawned.
    return true;
}

std::string TaskPool::stall_reason() const {
    std::vector<std::string> parts;
    for (const auto& [id, t] : pool_) {
        const std::string name = fmt::format("{}/{}", wf_.cycling.format(id.point), id.name);
        if (finished_state(t.state)) {
            // The required outputs it did not complete, as maybe_remove() counts them.
            const config::Runtime& rt = wf_.runtime.at(id.name);
            std::set<std::string> required = {"succeeded"};
            for (const auto& [o, optional] : rt.optional_outputs) {
                if (!optional) required.insert(o);
            }
            std::string missing;
            for (const auto& o : required) {
                if (!rt.output_required(o) || t.outputs.count(o)) continue;
                missing += fmt::format("{}{}:{}", missing.empty() ? "" : ", ", id.name, o);
            }
            parts.push_back(
                fmt::format("{} {} and is incomplete: it did not complete the "
                            "required output{} {}",
                            name, to_string(t.state),
                            missing.find(',') == std::string::npos ? "" : "s", missing));
            continue;
        }
        std::vector<std::string> waits;
        for (const auto& p : t.prereqs) {
            each_trigger(p, [&](const config::Trigger& tr) {
                if (!tr.xtrigger.empty()) {
                    auto failed = failed_xtriggers_.find({tr.xtrigger, tr.point});
                    if (failed != failed_xtriggers_.end()) {
                        waits.push_back(fmt::format("@{} ({})", tr.xtrigger, failed->second));
                    }
                    return;
                }
                if (tr.task.empty() || tr.pre_initial) return;
                Prereq leaf;
                leaf.trigger = tr;
                if (!satisfied(leaf, &t)) {
                    waits.push_back(
                        fmt::format("{}/{}:{}", wf_.cycling.format(tr.point), tr.task, tr.output));
                }
            });
        }
        std::string w;
        for (std::size_t i = 0; i < waits.size(); ++i) w += (i ? ", " : "") + waits[i];
        parts.push_back(
            fmt::format("{} is waiting for {}", name, w.empty() ? "nothing it can get" : w));
    }
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
    return out;
}

// Operator commands.

bool TaskPool::on_graph(const TaskId& id) {
    if (id.point < wf_.initial || (wf_.final && id.point > *wf_.final)) return false;
    const auto& tasks = at(id.point);
    return std::any_of(tasks.begin(), tasks.end(), [&](auto& t) { return t.name == id.name; });
}

std::string TaskPool::hold(const TaskId& id) {
    auto it = pool_.find(id);
    if (it == pool_.end()) {
        if (done_.count(id)) return "it has completed";
        if (!on_graph(id)) return "it is not on the graph at that cycle point";
        hold_later_.insert(id);
        return "";
    }
    it->second.held = true;
    recheck(id);
    return "";
}

std::string TaskPool::unhold(const TaskId& id) {
    if (hold_later_.erase(id)) return "";
    auto it = pool_.find(id);
    if (it == pool_.end() || !it->second.held) return "it is not held";
    it->second.held = false;
    recheck(id);
    return "";
}

void TaskPool::set_hold_after(std::optional<Point> p) {
    hold_after_ = p;
    if (!p) return;
    for (auto& [id, t] : pool_) {
        if (id.point > *p && !t.held) {
            t.held = true;
            recheck(id);
        }
    }
}

void TaskPool::release_all() {
    hold_after_.reset();
    hold_later_.clear();
    for (auto& [id, t] : pool_) {
        if (t.held) {
            t.held = false;
            recheck(id);
        }
    }
}

std::string TaskPool::trigger(const TaskId& id) {
    auto it = pool_.find(id);
    if (it == pool_.end()) {
        if (stop_ && id.point > *stop_) return "it is beyond the stop point";
        if (!on_graph(id)) return "it is not on the graph at that cycle point";
        int num = 0;
        std::optional<Done> ran;
        if (auto d = done_.find(id); d != done_.end()) {
            // A fresh run of a task that completed: what its outputs
            // satisfied downstream stays satisfied (they stay on record),
            // as in Cylc, whatever the new run does.
            num = d->second.submit_num;
            ran = std::move(d->second);
            done_.erase(d);
        }
        spawn(id);
        if (ran) done_[id] = std::move(*ran);
        it = pool_.find(id);
        if (it == pool_.end()) return "it cannot be spawned";
        it->second.submit_num = num;
    } else if (active_state(it->second.state)) {
        return fmt::format("it is {} already", to_string(it->second.state));
    } else if (it->second.state != State::waiting) {
        // An incomplete task runs again; the outputs it completed stay
        // completed (what they satisfied downstream stays satisfied).
        it->second.state = State::waiting;
    }
    hold_later_.erase(id);
    it->second.forced = true;
    it->second.killed = false;
    recheck(id);
    return "";
}

std::string TaskPool::set_outputs(const TaskId& id, std::vector<std::string> outputs) {
    const config::Runtime& rt = wf_.runtime.at(id.name);
    if (outputs.empty()) {
        outputs.push_back("succeeded");
        for (const auto& [o, optional] : rt.optional_outputs) {
            if (!optional && o != "succeeded" && rt.output_required(o)) outputs.push_back(o);
        }
        for (const auto& [o, message] : rt.outputs) {
            if (rt.output_required(o) &&
                std::find(outputs.begin(), outputs.end(), o) == outputs.end())
                outputs.push_back(o);
        }
    }
    static const std::set<std::string> builtin = {"submitted", "started",       "succeeded",
                                                  "failed",    "submit-failed", "expired"};
    for (const auto& o : outputs) {
        if (!builtin.count(o) && std::none_of(rt.outputs.begin(), rt.outputs.end(),
                                              [&](auto& x) { return x.first == o; }))
            return fmt::format(
                "'{}' is not an output of {} (its outputs: submitted, started, "
                "succeeded, failed, submit-failed, expired{})",
                o, id.name, [&] {
                    std::string c;
                    for (const auto& [n, m] : rt.outputs) c += ", " + n;
                    return c;
                }());
    }
    if (auto d = done_.find(id); d != done_.end() && !pool_.count(id)) {
        for (const auto& o : outputs) {
            if (d->second.outputs.insert(o).second) spawn_downstream(id, o);
        }
        return "";
    }
    if (!pool_.count(id)) {
        if (stop_ && id.point > *stop_) return "it is beyond the stop point";
        if (!on_graph(id)) return "it is not on the graph at that cycle point";
        spawn(id);
        if (!pool_.count(id)) return "it cannot be spawned";
    }
    // What each output implies, as a job would have completed it.
    std::vector<std::string> all;
    for (const auto& o : outputs) {
        if (o == "succeeded" || o == "failed" || o == "started") {
            all.push_back("submitted");
            all.push_back("started");
        }
        all.push_back(o);
    }
    Task& t = pool_.at(id);
    t.forced = false;
    t.retry_pending = false;
    for (const auto& o : all) {
        if (o == "succeeded" || o == "failed" || o == "submit-failed" || o == "expired") {
            if (active_state(t.state)) --queue_active_[queue_of(id.name)];
            t.state = o == "succeeded"       ? State::succeeded
                      : o == "failed"        ? State::failed
                      : o == "submit-failed" ? State::submit_failed
                                             : State::expired;
            complete_output(id, o);
            if (o != "submit-failed" && o != "expired") complete_output(id, "finished");
        } else {
            complete_output(id, o);
        }
    }
    recheck(id);
    maybe_remove(id);
    spawn_parentless();
    return "";
}

std::string TaskPool::set_prereq(const TaskId& id, Point point, const std::string& task,
                                 const std::string& output) {
    if (done_.count(id) && !pool_.count(id)) return "it has completed";
    if (!pool_.count(id) && !task.empty()) {
        // Not spawned: refused before it is, if the prerequisite is not its own.
        bool has = false;
        if (on_graph(id)) {
            for (const auto& t : at(id.point)) {
                if (t.name != id.name) continue;
                for (const auto& p : t.prereqs) {
                    each_trigger(p, [&](const config::Trigger& tr) {
                        has = has || (tr.point == point && tr.task == task && tr.output == output);
                    });
                }
            }
        }
        if (!has && on_graph(id))
            return fmt::format("it has no prerequisite {}/{}:{}", wf_.cycling.format(point), task,
                               output);
    }
    if (!pool_.count(id)) {
        if (stop_ && id.point > *stop_) return "it is beyond the stop point";
        if (!on_graph(id)) return "it is not on the graph at that cycle point";
        spawn(id);
        if (!pool_.count(id)) return "it cannot be spawned";
    }
    Task& t = pool_.at(id);
    bool found = false;
    for (const auto& p : t.prereqs) {
        each_trigger(p, [&](const config::Trigger& tr) {
            if (tr.task.empty()) return;
            if (task.empty() || (tr.point == point && tr.task == task && tr.output == output)) {
                t.pre_set.insert({tr.point, tr.task, tr.output});
                found = true;
            }
        });
    }
    if (!found && !task.empty())
        return fmt::format("it has no prerequisite {}/{}:{}", wf_.cycling.format(point), task,
                           output);
    recheck(id);
    return "";
}

std::string TaskPool::remove(const TaskId& id, bool& was_active) {
    was_active = false;
    auto it = pool_.find(id);
    if (it == pool_.end()) {
        if (hold_later_.erase(id)) return "";
        return "it is not in the pool";
    }
    Task& t = it->second;
    if (active_state(t.state)) {
        was_active = true;
        --queue_active_[queue_of(id.name)];
    }
    for (auto& [q, ids] : ready_) ids.erase(id);
    forced_.erase(id);
    recheck_.erase(id);
    Done& d = done_[id];
    d.outputs.merge(t.outputs);
    d.submit_num = t.submit_num;
    pool_.erase(it);
    spawn_parentless();
    return "";
}

void TaskPool::mark_killed(const TaskId& id) {
    if (auto it = pool_.find(id); it != pool_.end()) it->second.killed = true;
}

void TaskPool::set_stop_point(std::optional<Point> p) {
    stop_ = p;
    recheck_all();
    if (!stop_) {
        // Spawning goes on from where it stopped.
        if (!next_parentless_) {
            std::optional<Point> last;
            for (const auto& [id, t] : pool_) last = std::max(last.value_or(id.point), id.point);
            for (const auto& [id, d] : done_) last = std::max(last.value_or(id.point), id.point);
            next_parentless_ = last ? wf_.next_point(*last) : wf_.first_point();
        }
        spawn_parentless();
    }
}

bool TaskPool::reached(Point stop) const {
    if (active() > 0) return false;
    // A task still in the pool up to the stop point is unfinished or
    // incomplete: the run is not done there (an incomplete one stalls it).
    if (!pool_.empty() && pool_.begin()->first.point <= stop) return false;
    return !next_parentless_ || *next_parentless_ > stop;
}

std::vector<std::pair<std::string, bool>> TaskPool::prerequisites(const TaskId& id) const {
    std::vector<std::pair<std::string, bool>> out;
    auto it = pool_.find(id);
    if (it == pool_.end()) return out;
    for (const auto& p : it->second.prereqs) {
        each_trigger(p, [&](const config::Trigger& tr) {
            Prereq leaf;
            leaf.trigger = tr;
            out.emplace_back(
                tr.xtrigger.empty()
                    ? fmt::format("{}/{}:{}", wf_.cycling.format(tr.point), tr.task, tr.output)
                    : fmt::format("@{}", tr.xtrigger),
                satisfied(leaf, &it->second));
        });
    }
    return out;
}

bool TaskPool::is_ready(const TaskId& id) const {
    auto it = pool_.find(id);
    return it != pool_.end() && ready(it->second);
}

}  // namespace tock::pool
